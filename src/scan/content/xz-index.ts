/** One block of an xz stream, as its stream's index lists it. */
export interface XzBlock {
  /** offset of the block header in the file */
  readonly at: number;
  /** block header + compressed data + check, without the block padding */
  readonly unpadded: number;
  readonly uncompressed: number;
}

/** One xz stream of a file (xz files may be concatenated, with stream padding between them). */
export interface XzStream {
  /** bytes of the check field after each block: 0 (none), 4 (CRC32), 8 (CRC64), 32 (SHA-256), … */
  readonly checkSize: number;
  readonly blocks: readonly XzBlock[];
}

export const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];

const pad4 = (n: number): number => Math.ceil(n / 4) * 4;

/** The check field's size for a check type (xz file format 1.2.1, 2.1.1.2): 0, then 4, 8, 16, 32, 64 by threes. */
export const checkSizeOf = (type: number): number => (type === 0 ? 0 : 4 * 2 ** Math.floor((type - 1) / 3));

/** A multibyte integer (xz's varint) at `at`, before `end`: its value and where the next field starts, or null. */
export function readVarint(file: Buffer, at: number, end: number): { value: number; next: number } | null {
  let value = 0;
  for (let shift = 0; shift < 63; shift += 7) {
    if (at >= end) return null;
    const byte = file[at++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return { value, next: at };
  }
  return null;
}

/** One stream's index, ending at `indexEnd`: its blocks' unpadded and uncompressed sizes, or null. */
function readIndex(file: Buffer, at: number, indexEnd: number): Array<{ unpadded: number; uncompressed: number }> | null {
  if (at < 12 || file[at] !== 0) return null;
  const records = readVarint(file, at + 1, indexEnd);
  if (records === null) return null;
  let next = records.next;
  const sizes: Array<{ unpadded: number; uncompressed: number }> = [];
  for (let i = 0; i < records.value; i++) {
    const unpadded = readVarint(file, next, indexEnd);
    if (unpadded === null) return null;
    const uncompressed = readVarint(file, unpadded.next, indexEnd);
    if (uncompressed === null) return null;
    next = uncompressed.next;
    sizes.push({ unpadded: unpadded.value, uncompressed: uncompressed.value });
  }
  return sizes;
}

/**
 * Every stream of an xz file and its blocks, read from the end (stream footer, backward size,
 * index), as xz --list reads them; null when the file is cut short or its indexes are unreadable.
 */
export function xzStreams(file: Buffer): XzStream[] | null {
  const streams: XzStream[] = [];
  let end = file.length;
  while (end > 0) {
    // stream padding: NUL bytes in groups of four
    while (end >= 4 && file.readUInt32LE(end - 4) === 0) end -= 4;
    if (end < 24 || file[end - 2] !== 0x59 || file[end - 1] !== 0x5a) return null;
    const backward = (file.readUInt32LE(end - 8) + 1) * 4;
    const indexAt = end - 12 - backward;
    const sizes = readIndex(file, indexAt, end - 12);
    if (sizes === null) return null;
    const blocksBytes = sizes.reduce((sum, s) => sum + pad4(s.unpadded), 0);
    const start = indexAt - blocksBytes - 12;
    if (start < 0 || !XZ_MAGIC.every((byte, i) => file[start + i] === byte)) return null;
    let at = start + 12;
    const blocks = sizes.map(({ unpadded, uncompressed }) => {
      const block = { at, unpadded, uncompressed };
      at += pad4(unpadded);
      return block;
    });
    streams.unshift({ checkSize: checkSizeOf(file[start + 7]! & 0x0f), blocks });
    end = start;
  }
  return streams;
}
