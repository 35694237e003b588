import type { DecoderContext } from "./decoder.js";

const LOCAL = 0x04034b50;
const DESCRIPTOR = 0x08074b50;

/** What the walk hands each entry: as the central directory would, with the data clipped to the file. */
export type LocalEntry = (name: string, flags: number, method: number, data: Buffer, declared: number) => void;

/**
 * A zip whose central directory is gone (cut short), read entry after entry from its local
 * headers. An entry whose sizes follow its data (flag bit 3) is deflated: the inflater finds
 * where its stream ends, then the data descriptor is skipped (with or without its signature,
 * 32- or 64-bit sizes). A stored entry of unknown size cannot be delimited: the walk stops there.
 */
export function walkLocalHeaders(dc: DecoderContext, zip: Buffer, onEntry: LocalEntry): void {
  let at = 0;
  while (at + 30 <= zip.length && zip.readUInt32LE(at) === LOCAL) {
    const flags = zip.readUInt16LE(at + 6);
    const method = zip.readUInt16LE(at + 8);
    const compressed = zip.readUInt32LE(at + 18);
    const uncompressed = zip.readUInt32LE(at + 22);
    const nameLength = zip.readUInt16LE(at + 26);
    const start = at + 30 + nameLength + zip.readUInt16LE(at + 28);
    const name = zip.toString(flags & 0x800 ? "utf8" : "latin1", at + 30, Math.min(zip.length, at + 30 + nameLength));
    if (start > zip.length) return;
    const sized = (flags & 8) === 0 || compressed !== 0;
    if (sized && compressed !== 0xffffffff) {
      onEntry(name, flags, method, zip.subarray(start, start + compressed), uncompressed);
      at = start + compressed + ((flags & 8) !== 0 ? descriptorLength(zip, start + compressed) : 0);
      continue;
    }
    if (method !== 8 || (flags & 1) !== 0) {
      // stored, encrypted or zip64 without a length: its end cannot be told
      onEntry(name, flags, method, zip.subarray(start), -1);
      return;
    }
    const ended = streamLength(dc, zip.subarray(start));
    onEntry(name, flags, method, zip.subarray(start, start + (ended ?? zip.length - start)), -1);
    if (ended === null) return;
    at = start + ended + descriptorLength(zip, start + ended);
  }
}

/**
 * Where a deflate stream at the start of `data` ends, or null when it does not end in it or
 * inflates past the cap (then the entry is inflated once more, and cut and reported, as the last).
 */
function streamLength(dc: DecoderContext, data: Buffer): number | null {
  const inflated = dc.deflate.inflateStream(data, dc.budget.streamCap().bytes, () => {});
  if (inflated === null || inflated.outcome !== "whole" || inflated.consumed >= data.length) return null;
  return inflated.consumed;
}

/** A data descriptor's length at `at`: what puts the next local header (or the file's end) right after it. */
function descriptorLength(zip: Buffer, at: number): number {
  for (const length of [16, 12, 24, 20]) {
    if (at + length === zip.length || (at + length + 4 <= zip.length && zip.readUInt32LE(at + length) === LOCAL)) return length;
  }
  return zip.length >= at + 4 && zip.readUInt32LE(at) === DESCRIPTOR ? 16 : 12;
}
