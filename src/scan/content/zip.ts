import { inflateRawSync } from "node:zlib";
import { memberPath, type ContentSink } from "./content-report.js";
import { corrupt, emit, gathered, isOutputLimit, type Decoder, type DecoderContext } from "./decoder.js";
import { walkLocalHeaders } from "./zip-local.js";
import { ZipStream } from "./zip-stream.js";

const EOCD = 0x06054b50;
const EOCD64_LOCATOR = 0x07064b50;
const EOCD64 = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX_COMMENT = 0xffff;
/** the reused inflater's output piece: an entry up to this size comes out in one */
const WHOLE_ENTRY_BYTES = 256 * 1024;

interface ZipEntry {
  readonly name: string;
  readonly flags: number;
  readonly method: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly localOffset: number;
}

/**
 * A zip (jar, war, ear, wheel, egg, apk…), decoded from memory through its central directory,
 * as unzip and the JDK read it: stored and deflated entries, data descriptors (the directory
 * has the sizes), zip64. Each entry is searched and opened in turn (jar-in-jar). Why by hand
 * over yauzl or fflate: the file is in memory already, node's zlib inflates each entry in one
 * call, and both libraries are asynchronous or copy every entry through their own inflater.
 * A zip over the gather limit (a fat jar) is read as it streams instead, by its local headers.
 */
export const zipDecoder: Decoder = (dc) =>
  gathered(
    dc,
    "zip",
    (input) => readZip(dc, input),
    () => new ZipStream(dc),
  );

function readZip(dc: DecoderContext, zip: Buffer): void {
  let entries: ZipEntry[] | string;
  try {
    entries = directory(zip);
    // offsets counted from before the zip's first byte: a self-extracting zip's stub (`zip -A`), cut off here
    const shift = typeof entries === "string" ? stubBytes(zip) : 0;
    if (shift > 0) entries = directory(zip, shift);
  } catch {
    entries = "unreadable central directory";
  }
  if (typeof entries === "string") {
    dc.report.unreadable(dc.inner, `zip: ${entries}`);
    // as bsdtar and java's ZipInputStream read it: entry after entry by their local headers
    walkLocalHeaders(dc, zip, (name, flags, method, data, declared) => readEntry(dc, name, flags, method, data, declared));
    return;
  }
  readEntries(dc, zip, entries);
}

/**
 * A zip after a prefix (a Spring Boot "fully executable" jar's launch script, a Python zipapp or
 * pex's `#!` line): read as unzip reads it, with its offsets counted from the file's start or,
 * when they do not fit, from where the central directory says the zip begins. False, and nothing
 * reported, when the file holds no zip that reads that way: most scripts are only scripts.
 */
export function readZipAfterPrefix(dc: DecoderContext, file: Buffer): boolean {
  const end = findEocd(file);
  if (end === -1) return false;
  const prefix = end - file.readUInt32LE(end + 12) - file.readUInt32LE(end + 16);
  for (const zip of prefix > 0 ? [file, file.subarray(prefix)] : [file]) {
    let entries: ZipEntry[] | string;
    try {
      entries = directory(zip);
    } catch {
      continue;
    }
    if (typeof entries === "string" || entries.length === 0 || entries.some((e) => !e.name.endsWith("/") && entryData(zip, e) === null)) continue;
    readEntries(dc, zip, entries);
    return true;
  }
  return false;
}

/** Each entry the central directory lists, searched and opened in turn. */
function readEntries(dc: DecoderContext, zip: Buffer, entries: readonly ZipEntry[]): void {
  for (const entry of entries) {
    const data = entryData(zip, entry);
    if (data === null) {
      if (!entry.name.endsWith("/")) dc.report.unreadable(memberPath(dc.inner, entry.name), "zip: entry outside the file (cut short)");
      continue;
    }
    readEntry(dc, entry.name, entry.flags, entry.method, data, entry.uncompressedSize);
  }
}

/** One entry's compressed bytes: searched, inflated or reported as not searched. */
function readEntry(dc: DecoderContext, name: string, flags: number, method: number, data: Buffer, declared: number): void {
  if (name.endsWith("/")) return;
  const inner = memberPath(dc.inner, name);
  if (flags & 1) return dc.report.notSearched(inner, "zip: encrypted entry");
  if (method === 0) return emit(dc, inner, "zip", data);
  if (method !== 8) return dc.report.notSearched(inner, `zip: compression method ${method} (only stored and deflate are read)`);
  inflateEntry(dc, inner, data, declared);
}

/**
 * One deflated entry through the scan's reused raw inflater. An entry whose directory says it
 * fits one output piece is searched whole; a larger one, or one that turns out larger than it
 * said, is streamed (from the start again: a match across the first piece's end must not be lost).
 */
function inflateEntry(dc: DecoderContext, inner: string, data: Buffer, declared: number): void {
  const cap = dc.budget.streamCap();
  let output = 0;
  let pieces = 0;
  let outcome: "whole" | "cut" | "corrupt" | null = null;
  if (declared >= 0 && declared <= WHOLE_ENTRY_BYTES) {
    outcome = dc.deflate.inflateChecked(data, cap.bytes, (piece) => {
      pieces += 1;
      output += piece.length;
      if (pieces === 1) dc.openWhole(inner, "zip", piece);
    });
    if (outcome !== null && pieces <= 1) return finish(dc, inner, outcome, output, cap.reason);
  }
  let sink: ContentSink | null = null;
  output = 0;
  outcome = dc.deflate.inflateChecked(data, cap.bytes, (piece) => {
    output += piece.length;
    (sink ??= dc.open(inner, "zip")).write(piece);
  });
  (sink as ContentSink | null)?.end();
  if (outcome !== null) return finish(dc, inner, outcome, output, cap.reason);
  // this node's zlib handle cannot be driven: its public call, a fresh handle each time, held whole
  const held = dc.budget.heldCap();
  let whole: Buffer;
  try {
    whole = inflateRawSync(data, { maxOutputLength: Math.max(1, held.bytes) });
  } catch (error) {
    if (isOutputLimit(error)) dc.report.notSearched(inner, held.reason);
    else dc.report.unreadable(inner, corrupt("zip", error));
    return;
  }
  dc.budget.spend(whole.length);
  emit(dc, inner, "zip", whole);
}

function finish(dc: DecoderContext, inner: string, outcome: "whole" | "cut" | "corrupt", output: number, capReason: string): void {
  dc.budget.spend(output);
  if (outcome === "cut") dc.report.notSearched(inner, capReason);
  else if (outcome === "corrupt") dc.report.unreadable(inner, "zip: corrupt deflate data, read in part at most");
}

/** The central directory's entries, or why it cannot be read. */
function directory(zip: Buffer, shift = 0): ZipEntry[] | string {
  const end = findEocd(zip);
  if (end === -1) return "no end of central directory (cut short or not a zip)";
  let count = zip.readUInt16LE(end + 10);
  const size = zip.readUInt32LE(end + 12);
  let offset = zip.readUInt32LE(end + 16) - shift;
  if (count === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
    const locator = end - 20;
    if (locator < 0 || zip.readUInt32LE(locator) !== EOCD64_LOCATOR) return "zip64 locator missing";
    const at = Number(zip.readBigUInt64LE(locator + 8));
    if (at + 56 > zip.length || zip.readUInt32LE(at) !== EOCD64) return "zip64 end record missing";
    count = Number(zip.readBigUInt64LE(at + 32));
    offset = Number(zip.readBigUInt64LE(at + 48)) - shift;
  }
  const entries: ZipEntry[] = [];
  let at = offset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== CENTRAL) return `central directory entry ${i} unreadable`;
    const flags = zip.readUInt16LE(at + 8);
    const method = zip.readUInt16LE(at + 10);
    let compressedSize = zip.readUInt32LE(at + 20);
    let uncompressedSize = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    let localOffset = zip.readUInt32LE(at + 42);
    const name = zip.toString(flags & 0x800 ? "utf8" : "latin1", at + 46, at + 46 + nameLength);
    // zip64 extra field: the 8-byte values, in this order, of those saturated above
    let extra = at + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd && extraEnd <= zip.length) {
      const id = zip.readUInt16LE(extra);
      const length = zip.readUInt16LE(extra + 2);
      if (id === 0x0001) {
        let field = extra + 4;
        const next = (): number => {
          const value = field + 8 <= extra + 4 + length ? Number(zip.readBigUInt64LE(field)) : -1;
          field += 8;
          return value;
        };
        if (uncompressedSize === 0xffffffff) uncompressedSize = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (localOffset === 0xffffffff) localOffset = next();
      }
      extra += 4 + length;
    }
    entries.push({ name, flags, method, compressedSize, uncompressedSize, localOffset: localOffset - shift });
    at = extraEnd + commentLength;
  }
  return entries;
}

/** How many bytes before the zip its directory's offsets count from (where it says its directory is, past where it is); 0 when none. */
function stubBytes(zip: Buffer): number {
  const end = findEocd(zip);
  if (end === -1) return 0;
  const said = zip.readUInt32LE(end + 16);
  const is = end - zip.readUInt32LE(end + 12);
  return said !== 0xffffffff && said > is ? said - is : 0;
}

export function findEocd(zip: Buffer): number {
  const last = Math.max(0, zip.length - 22 - MAX_COMMENT);
  for (let at = zip.length - 22; at >= last; at--) {
    if (zip[at] === 0x50 && zip.readUInt32LE(at) === EOCD && at + 22 + zip.readUInt16LE(at + 20) <= zip.length) return at;
  }
  return -1;
}

/** An entry's compressed bytes: after its local header, whose name and extra lengths may differ from the directory's. */
function entryData(zip: Buffer, entry: ZipEntry): Buffer | null {
  const at = entry.localOffset;
  if (at < 0 || at + 30 > zip.length || zip.readUInt32LE(at) !== LOCAL || entry.compressedSize < 0) return null;
  const start = at + 30 + zip.readUInt16LE(at + 26) + zip.readUInt16LE(at + 28);
  const end = start + entry.compressedSize;
  return end > zip.length ? null : zip.subarray(start, end);
}
