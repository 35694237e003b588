import { memberPath } from "./content-report.js";
import { emit, gathered, type Decoder, type DecoderContext } from "./decoder.js";

const TYPES: Readonly<Record<number, string>> = { 1: "commit", 2: "tree", 3: "blob", 4: "tag", 6: "ofs-delta", 7: "ref-delta" };
const OFS_DELTA = 6;
const REF_DELTA = 7;

/** An object's header: its type, the size it declares, where its zlib stream starts; null past the end. */
function objectHeader(pack: Buffer, at: number): { type: number; size: number; data: number } | null {
  let byte = pack[at++];
  if (byte === undefined) return null;
  const type = (byte >> 4) & 7;
  let size = byte & 0x0f;
  for (let shift = 4; byte! & 0x80; shift += 7) {
    byte = pack[at++];
    if (byte === undefined || shift > 49) return null;
    size += (byte & 0x7f) * 2 ** shift;
  }
  if (type === OFS_DELTA) {
    // the base's negative offset, a varint of its own: skipped (deltas are searched as they are)
    while (pack[at] !== undefined && pack[at]! & 0x80) at++;
    at++;
  } else if (type === REF_DELTA) {
    at += 20;
  }
  return at + 2 > pack.length ? null : { type, size, data: at };
}

/**
 * A git packfile (`.git/objects/pack/pack-*.pack`: a `COPY . .` that took `.git` along keeps
 * every committed value, removed or not): each object's zlib stream inflated and searched as a
 * member `!/TYPE@OFFSET`. Deltas are searched as they are, not resolved: the bytes a delta
 * inserts stand in it literally. Each stream's end, found by the inflater, is the next object's start.
 */
export const gitPackDecoder: Decoder = (dc) => gathered(dc, "git-pack", (input) => readPack(dc, input));

function readPack(dc: DecoderContext, pack: Buffer): void {
  const count = pack.length >= 12 ? pack.readUInt32BE(8) : 0;
  let at = 12;
  for (let i = 0; i < count; i++) {
    const header = objectHeader(pack, at);
    if (header === null) return dc.report.unreadable(dc.inner, `git-pack: object ${i} of ${count} past the end (cut short)`);
    const inner = memberPath(dc.inner, `${TYPES[header.type] ?? `type${header.type}`}@${at}`);
    const cap = dc.budget.outputCap(pack.length - header.data);
    if (header.size > cap.bytes) {
      // the stream must still be inflated to find the next object: without that, the rest is not searched
      return dc.report.notSearched(inner, `${cap.reason}; the pack's objects after it are not searched`);
    }
    const pieces: Buffer[] = [];
    let output = 0;
    const inflated = dc.deflate.inflateStream(pack.subarray(header.data + 2), cap.bytes, (piece) => {
      pieces.push(Buffer.from(piece));
      output += piece.length;
    });
    if (inflated === null) return dc.report.notSearched(dc.inner, "git-pack: this node's zlib cannot tell where an object ends");
    dc.budget.spend(output);
    if (output > 0) emit(dc, inner, "git-pack", pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces));
    if (inflated.outcome === "cut") return dc.report.notSearched(inner, `${cap.reason}; the pack's objects after it are not searched`);
    if (inflated.outcome === "corrupt") return dc.report.unreadable(inner, "git-pack: corrupt zlib stream, the objects after it not read");
    // the 2-byte zlib header, the deflate data, its 4-byte Adler-32
    at = header.data + 2 + inflated.consumed + 4;
    if (at > pack.length) return dc.report.unreadable(dc.inner, `git-pack: object ${i} of ${count} cut short`);
  }
}
