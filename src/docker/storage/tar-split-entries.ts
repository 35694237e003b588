import { StorageMismatch } from "./storage-mismatch.js";

/** A tar-split record's entry: bytes of the tar as they were (headers, padding), or a file's bytes to take from the layer's folder. */
export type TarSplitEntry = { readonly kind: "segment"; readonly bytes: Buffer } | { readonly kind: "file"; readonly name: Buffer; readonly size: number };

/** tar-split's storage.Type: FileType and SegmentType (vbatts/tar-split tar/storage/entry.go). */
const FILE_TYPE = 1;
const SEGMENT_TYPE = 2;
/**
 * A line is the bytes between two files in base64: one header, or every header of a run of PAX
 * records (tar allows many in a row; 20 of 1 MB make a 27 MB line). Bounded all the same.
 */
const LINE_CAP = 64 * 1024 * 1024;
const NEWLINE = 0x0a;

const malformed = (): StorageMismatch => new StorageMismatch("the layer's tar-split record is malformed");

function entryOf(line: string): TarSplitEntry | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw malformed();
  }
  if (parsed === null || typeof parsed !== "object") throw malformed();
  const entry = parsed as { type?: unknown; name?: unknown; name_raw?: unknown; size?: unknown; payload?: unknown };
  if (entry.type === SEGMENT_TYPE) {
    if (entry.payload === null || entry.payload === undefined) return undefined;
    if (typeof entry.payload !== "string") throw malformed();
    return { kind: "segment", bytes: Buffer.from(entry.payload, "base64") };
  }
  if (entry.type !== FILE_TYPE) throw malformed();
  const size = entry.size ?? 0;
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) throw malformed();
  if (size === 0) return undefined;
  // Go's GetName: the raw bytes when the name was not valid UTF-8
  if (typeof entry.name_raw === "string" && entry.name_raw !== "") return { kind: "file", name: Buffer.from(entry.name_raw, "base64"), size };
  if (typeof entry.name !== "string") throw malformed();
  return { kind: "file", name: Buffer.from(entry.name, "utf8"), size };
}

/** The entries of a gunzipped tar-split record (one JSON document a line), files of no bytes left out. */
export async function* tarSplitEntries(lines: AsyncIterable<Buffer>): AsyncGenerator<TarSplitEntry> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of lines) {
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end >= 0; end = chunk.indexOf(NEWLINE, start)) {
      const line = pendingBytes === 0 ? chunk.subarray(start, end) : Buffer.concat([...pending, chunk.subarray(start, end)]);
      pending = [];
      pendingBytes = 0;
      start = end + 1;
      if (line.length === 0) continue;
      const entry = entryOf(line.toString("utf8"));
      if (entry !== undefined) yield entry;
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
      if (pendingBytes > LINE_CAP) throw malformed();
    }
  }
  if (pendingBytes > 0) {
    const entry = entryOf(Buffer.concat(pending).toString("utf8"));
    if (entry !== undefined) yield entry;
  }
}
