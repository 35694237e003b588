import Bunzip from "seek-bzip";
import type { ContentSink } from "./content-report.js";
import { corrupt, type DecoderContext } from "./decoder.js";

/** A block starts with π's digits (0x314159265359), a stream ends with √π's (0x177245385090), each at any bit. */
const BLOCK = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
const END = [0x17, 0x72, 0x45, 0x38, 0x50, 0x90];
/** a block is 900 kB before compression at most (`-9`); its bits never run this far */
const MAX_BLOCK_BYTES = 2 * 1024 * 1024;
/** seek-bzip reads a stream header first: `-9`'s, the largest block buffer, serves every level */
const HEADER = Buffer.from("BZh9");

class OverCap extends Error {}

/** The 6 bytes a 48-bit magic spans at each bit shift, as the middle 4 bytes it fully decides (the needle) and the mask of all 7. */
function shifted(magic: readonly number[]): { shift: number; needle: Buffer }[] {
  const out: { shift: number; needle: Buffer }[] = [];
  for (let shift = 0; shift < 8; shift++) {
    const bytes = new Array<number>(7).fill(0);
    for (let bit = 0; bit < 48; bit++) {
      const value = (magic[bit >> 3]! >> (7 - (bit & 7))) & 1;
      const at = bit + shift;
      bytes[at >> 3]! |= value << (7 - (at & 7));
    }
    out.push({ shift, needle: Buffer.from(bytes.slice(1, 5)) });
  }
  return out;
}
const BLOCK_NEEDLES = shifted(BLOCK);
const END_NEEDLES = shifted(END);

/** Whether the 48 bits at `bit` of `buf` are `magic`. */
function magicAt(buf: Buffer, bit: number, magic: readonly number[]): boolean {
  for (let i = 0; i < 48; i++) {
    const at = bit + i;
    if (at >> 3 >= buf.length) return false;
    if (((buf[at >> 3]! >> (7 - (at & 7))) & 1) !== ((magic[i >> 3]! >> (7 - (i & 7))) & 1)) return false;
  }
  return true;
}

/** The first bit at or after `from` where a block or a stream's end starts; -1 when none is in `buf`. */
function nextMarker(buf: Buffer, from: number): number {
  let best = -1;
  for (const [needles, magic] of [
    [BLOCK_NEEDLES, BLOCK],
    [END_NEEDLES, END],
  ] as const) {
    for (const { shift, needle } of needles) {
      for (let at = buf.indexOf(needle, Math.max(1, from >> 3)); at !== -1; at = buf.indexOf(needle, at + 1)) {
        const bit = (at - 1) * 8 + shift;
        if (best !== -1 && bit >= best) break;
        if (bit >= from && magicAt(buf, bit, magic)) {
          best = bit;
          break;
        }
      }
    }
  }
  return best;
}

/**
 * A bzip2 file too large to decode from memory (over 64 MiB: a conda `.tar.bz2`, a kept
 * database dump), read as it streams one block at a time: bzip2's blocks are independent and
 * each starts with a 48-bit magic at any bit, so the bytes up to the next block (2 MiB at most)
 * are gathered and that block alone decoded by seek-bzip. A stream's end and a following
 * stream's header are stepped over by the same search.
 */
export class Bzip2Blocks implements ContentSink {
  /** the bytes from the block being gathered on: `#buf[0, #fill)` */
  #buf = Buffer.alloc(0);
  #fill = 0;
  /** bits already searched for a marker (less the 48 a marker may straddle) */
  #searched = 0;
  /** bit offset in `#pending` of the block being gathered, or -1 before the first */
  #block = -1;
  #stopped = false;
  #output = 0;
  #sink: ContentSink | null = null;

  constructor(private readonly dc: DecoderContext) {}

  get #pending(): Buffer {
    return this.#buf.subarray(0, this.#fill);
  }

  write(chunk: Buffer): void {
    if (this.#stopped) return;
    if (this.#fill + chunk.length > this.#buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(2 * this.#buf.length, this.#fill + chunk.length, 64 * 1024));
      this.#buf.copy(grown, 0, 0, this.#fill);
      this.#buf = grown;
    }
    this.#fill += chunk.copy(this.#buf, this.#fill);
    for (;;) {
      const from = Math.max(this.#block === -1 ? 0 : this.#block + 48, this.#searched);
      const next = nextMarker(this.#pending, from);
      if (next === -1) {
        this.#searched = Math.max(0, this.#fill * 8 - 56);
        break;
      }
      if (this.#block !== -1) this.#decode(this.#block, next);
      if (this.#stopped) return;
      // the next block, or past a stream's end (√π's magic and the stream's CRC): the search goes on from there
      const isBlock = magicAt(this.#pending, next, BLOCK);
      const drop = isBlock ? next >> 3 : Math.min(this.#fill, (next >> 3) + 10);
      this.#buf.copy(this.#buf, 0, drop, this.#fill);
      this.#fill -= drop;
      this.#block = isBlock ? next - drop * 8 : -1;
      this.#searched = 0;
    }
    if (this.#fill > MAX_BLOCK_BYTES) {
      this.#stopped = true;
      this.dc.report.unreadable(this.dc.inner, "bzip2: no block boundary within 2 MiB (corrupt)");
    }
  }

  end(): void {
    // a last block with no end after it: cut short, decoded as far as it goes
    if (!this.#stopped && this.#block !== -1) {
      this.#decode(this.#block, this.#pending.length * 8);
      if (!this.#stopped) this.dc.report.unreadable(this.dc.inner, "bzip2: cut short");
    }
    this.#buf = Buffer.alloc(0);
    this.#fill = 0;
    this.#sink?.end();
  }

  /** Decodes the block whose bits are [start, end) of the pending bytes, and hands its output on. */
  #decode(start: number, end: number): void {
    const first = start >> 3;
    const input = Buffer.concat([HEADER, this.#pending.subarray(first, Math.min(this.#pending.length, (end >> 3) + 8))]);
    const pieces: Buffer[] = [];
    let piece = Buffer.allocUnsafe(64 * 1024);
    let fill = 0;
    const cap = this.dc.budget.streamCap();
    const output = {
      writeByte: (byte: number): void => {
        if (fill === piece.length) {
          pieces.push(piece);
          piece = Buffer.allocUnsafe(64 * 1024);
          fill = 0;
        }
        piece[fill++] = byte;
        if (++this.#output > cap.bytes) throw new OverCap(cap.reason);
      },
    };
    try {
      Bunzip.decodeBlock(input, HEADER.length * 8 + (start & 7), output);
    } catch (error) {
      this.#stopped = true;
      if (error instanceof OverCap) this.dc.report.notSearched(this.dc.inner, error.message);
      else this.dc.report.unreadable(this.dc.inner, corrupt("bzip2", error));
    }
    pieces.push(piece.subarray(0, fill));
    const sink = (this.#sink ??= this.dc.open(this.dc.inner, "bzip2"));
    for (const p of pieces) {
      this.dc.budget.spend(p.length);
      if (p.length > 0) sink.write(p);
    }
  }
}
