import { emit, gathered, type Decoder, type DecoderContext } from "./decoder.js";
import { gitBundleStream, GitPackStream } from "./git-pack-stream.js";
import { objectHeader, OFS_DELTA, PackObjects, REF_DELTA, TYPES, type Header, type Refetch } from "./git-pack-objects.js";
import { memberPath } from "./content-report.js";
import { CONTENT_LIMITS } from "./limits.js";

type Inflated = { readonly header: Header; readonly content: Buffer; readonly next: number } | { readonly failed: "cut" | "corrupt" | "node" | "end"; readonly header: Header | null };

/** One object's zlib stream at `at`, inflated whole (up to `cap`), and where the next object starts. */
function inflateAt(dc: DecoderContext, pack: Buffer, at: number, cap: number): Inflated {
  const header = objectHeader(pack, at);
  if (header === null) return { failed: "end", header };
  if (header.size > cap) return { failed: "cut", header };
  const pieces: Buffer[] = [];
  const inflated = dc.deflate.inflateStream(pack.subarray(header.data + 2), cap, (piece) => pieces.push(Buffer.from(piece)));
  if (inflated === null) return { failed: "node", header };
  if (inflated.outcome !== "whole") return { failed: inflated.outcome, header };
  // the 2-byte zlib header, the deflate data, its 4-byte Adler-32
  const next = header.data + 2 + inflated.consumed + 4;
  if (next > pack.length) return { failed: "end", header };
  return { header, content: pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces), next };
}

/**
 * A git packfile (`.git/objects/pack/pack-*.pack`: a `COPY . .` that took `.git` along keeps
 * every committed value, removed or not): each object's zlib stream inflated and searched as a
 * member `!/TYPE@OFFSET`; each stream's end, found by the inflater, is the next object's start.
 * A delta against an object of the same pack (ofs-delta, what `git gc` writes) is resolved, so a
 * value a later commit scrubbed is found in the old version git keeps as a delta, even where the
 * delta splits it across its 127-byte inserts; only what that version adds to the pack is
 * reported (a value every version carries is reported once, where it is whole). A ref-delta
 * (its base named by id: `git fetch`'s thin packs, `repack.useDeltaBaseOffset=false`) is resolved
 * when its base is in the pack. A delta that does not resolve is searched as it is.
 */
export const gitPackDecoder: Decoder = (dc) =>
  gathered(
    dc,
    "git-pack",
    (input) => readPack(dc, input),
    () => new GitPackStream(dc),
  );

/**
 * A git bundle (`git bundle create`: a repository's history in one file, a common way to carry a
 * checkout into a build): a header of refs up to a blank line, then a pack, read as one.
 */
export const gitBundleDecoder: Decoder = (dc) =>
  gathered(dc, "git-bundle", (input) => {
    const blank = input.indexOf("\n\n");
    if (blank === -1 || input.toString("latin1", blank + 2, blank + 6) !== "PACK") return dc.report.unreadable(dc.inner, "git bundle: no pack after its header");
    readPack(dc, input.subarray(blank + 2));
  }, () => gitBundleStream(dc));

function readPack(dc: DecoderContext, pack: Buffer): void {
  const count = pack.length >= 12 ? pack.readUInt32BE(8) : 0;
  const objects = new PackObjects(dc);
  const refetch: Refetch = (offset) => {
    const object = inflateAt(dc, pack, offset, CONTENT_LIMITS.maxFileBytes);
    return "failed" in object ? null : object;
  };
  let at = 12;
  for (let i = 0; i < count; i++) {
    const cap = dc.budget.heldCap();
    const object = inflateAt(dc, pack, at, cap.bytes);
    const name = (type: number): string => memberPath(dc.inner, `${TYPES[type] ?? `type${type}`}@${at}`);
    if ("failed" in object) {
      const inner = object.header === null ? dc.inner : name(object.header.type);
      if (object.failed === "end") return dc.report.unreadable(dc.inner, `git-pack: object ${i} of ${count} past the end (cut short)`);
      if (object.failed === "node") return dc.report.notSearched(dc.inner, "git-pack: this node's zlib cannot tell where an object ends");
      if (object.failed === "corrupt") return dc.report.unreadable(inner, "git-pack: corrupt zlib stream, the objects after it not read");
      // the stream must be inflated whole to find the next object: without that, the rest is not searched
      return dc.report.notSearched(inner, `${cap.reason}; the pack's objects after it are not searched`);
    }
    const { header, content } = object;
    dc.budget.spend(content.length);
    const resolved = header.type === OFS_DELTA ? objects.resolve(header, content, refetch) : null;
    if (resolved !== null) objects.report(at, resolved);
    else {
      if (content.length > 0) emit(dc, name(header.type), "git-pack", content);
      if (header.type === REF_DELTA) objects.refDelta(at, pack.toString("hex", header.data - 20, header.data), content);
      else if (header.type !== OFS_DELTA) objects.whole(at, header.type, content);
    }
    at = object.next;
  }
  objects.resolveRefDeltas(refetch);
}
