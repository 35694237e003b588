import { lzma2 } from "@napi-rs/lzma";
import { DeltaUndo } from "./delta-undo.js";
import { readVarint, type XzBlock } from "./xz-index.js";

const LZMA2 = 0x21;
const DELTA = 0x03;
const FILTER_NAMES: Readonly<Record<number, string>> = {
  0x04: "x86 BCJ",
  0x05: "PowerPC BCJ",
  0x06: "IA-64 BCJ",
  0x07: "ARM BCJ",
  0x08: "ARM-Thumb BCJ",
  0x09: "SPARC BCJ",
  0x0a: "ARM64 BCJ",
  0x0b: "RISC-V BCJ",
};

/** A block ready to decode: its LZMA2 data, and the delta distances to undo after it, last filter first. */
export interface XzBlockPlan {
  readonly data: Buffer;
  readonly deltas: readonly number[];
  /** the output the LZMA2 chunk headers declare (an upper bound of what lzma-rs writes) */
  readonly chunked: number;
}

/** Why a block cannot be decoded: a filter nobody here applies (not searched), or a malformed block (unreadable). */
export type XzBlockFault = { readonly unsupported: string } | { readonly malformed: string };

/** A block header's content: its sizes when recorded, LZMA2's properties byte, the delta distances to undo after it, last filter first. */
export interface XzBlockHeader {
  readonly headerSize: number;
  readonly compressed: number | null;
  readonly uncompressed: number | null;
  readonly lzma2Props: number;
  readonly deltas: readonly number[];
}

/** The block header at `file[at]` (its size byte first), whole in `file`: its filter chain and recorded sizes. */
export function readBlockHeader(file: Buffer, at: number): XzBlockHeader | XzBlockFault {
  const headerSize = (file[at]! + 1) * 4;
  if (file[at] === 0 || at + headerSize > file.length) return { malformed: "block header unreadable" };
  const headerEnd = at + headerSize - 4;
  const flags = file[at + 1]!;
  let next = at + 2;
  const sizes: Array<number | null> = [];
  for (const present of [0x40, 0x80]) {
    if ((flags & present) === 0) {
      sizes.push(null);
      continue;
    }
    const size = readVarint(file, next, headerEnd);
    if (size === null) return { malformed: "block header unreadable" };
    sizes.push(size.value);
    next = size.next;
  }
  const filters: Array<{ id: number; props: Buffer }> = [];
  for (let i = 0; i <= (flags & 3); i++) {
    const id = readVarint(file, next, headerEnd);
    const propsSize = id === null ? null : readVarint(file, id.next, headerEnd);
    if (id === null || propsSize === null || propsSize.next + propsSize.value > headerEnd) return { malformed: "block header unreadable" };
    filters.push({ id: id.value, props: file.subarray(propsSize.next, propsSize.next + propsSize.value) });
    next = propsSize.next + propsSize.value;
  }
  const last = filters.pop()!;
  if (last.id !== LZMA2) return { unsupported: filterName(last.id) };
  if (last.props.length !== 1 || last.props[0]! > 40) return { malformed: "LZMA2 properties unreadable" };
  const deltas: number[] = [];
  for (const filter of filters.reverse()) {
    if (filter.id !== DELTA || filter.props.length !== 1) return { unsupported: filterName(filter.id) };
    deltas.push(filter.props[0]! + 1);
  }
  return { headerSize, compressed: sizes[0]!, uncompressed: sizes[1]!, lzma2Props: last.props[0]!, deltas };
}

/** LZMA2's dictionary size from its properties byte (xz file format 5.3.1): 4 KiB × 2 or 3 × powers of two, 40 meaning 4 GiB − 1. */
export const lzma2DictSize = (props: number): number => (props === 40 ? 0xffffffff : (2 | (props & 1)) * 2 ** (Math.floor(props / 2) + 11));

/**
 * A block's header (its filter chain) and the extent of its LZMA2 data, from the index's unpadded
 * size: header, data, then the check, whatever its type, which is skipped.
 */
export function planBlock(file: Buffer, block: XzBlock, checkSize: number): XzBlockPlan | XzBlockFault {
  const dataEnd = block.at + block.unpadded - checkSize;
  if (dataEnd > file.length) return { malformed: "block header unreadable" };
  const header = readBlockHeader(file.subarray(0, dataEnd), block.at);
  if (!("headerSize" in header)) return header;
  const data = file.subarray(block.at + header.headerSize, dataEnd);
  const chunked = lzma2Output(data);
  if (chunked === null) return { malformed: "LZMA2 chunks unreadable" };
  return { data, deltas: header.deltas, chunked };
}

const filterName = (id: number): string => FILTER_NAMES[id] ?? `filter 0x${id.toString(16)}`;

/**
 * The uncompressed size LZMA2's chunk headers declare, walking them without decoding (a chunk
 * holds at most 2 MiB; lzma-rs stops each chunk at its size), or null when they run past the data.
 */
export function lzma2Output(data: Buffer): number | null {
  let at = 0;
  let total = 0;
  while (at < data.length) {
    const control = data[at]!;
    if (control === 0) return total;
    if (control === 1 || control === 2) {
      if (at + 3 > data.length) return null;
      const size = data.readUInt16BE(at + 1) + 1;
      total += size;
      at += 3 + size;
    } else if (control >= 0x80) {
      if (at + 5 > data.length) return null;
      total += (control & 0x1f) * 0x10000 + data.readUInt16BE(at + 1) + 1;
      at += (control >= 0xc0 ? 6 : 5) + data.readUInt16BE(at + 3) + 1;
    } else {
      return null;
    }
  }
  return null;
}

/** Decodes a planned block (lzma-rs's raw LZMA2 decoder), then undoes its delta filters. Throws on corrupt data. */
export function decodeBlock(plan: XzBlockPlan): Buffer {
  let output = lzma2.decompressSync(plan.data);
  for (const distance of plan.deltas) output = new DeltaUndo(distance).undo(output);
  return output;
}
