/**
 * Wu-Manber multi-pattern search over bytes (Wu & Manber 1994, "A fast algorithm for
 * multi-pattern searching"), specialised for a few hundred needles of 8 bytes and more.
 *
 * Every needle is looked at through its first `window` bytes. A table indexed by a hash of the
 * 3 bytes at the end of the current window says how far the window may jump: the distance
 * from that block to the window end in the needle where it occurs nearest the end, or
 * window-2 when no needle has it. With a few thousand blocks in a 64 Ki table most lookups
 * allow a jump of window-2 bytes, so the loop touches a fraction of the input. A zero shift
 * means some needle's window may end here: the needles whose last window block hashes the
 * same are then compared byte for byte.
 *
 * Each step waits on the one before it (load, hash, table load, jump), so a single walk is
 * bound by latency, not by work: long ranges are cut in four lanes walked side by side in one
 * loop, whose steps the CPU overlaps (2.4 to 2.8 times the bytes per second of one walk, on the
 * bench tar's data and in bench/matcher.bench.mjs).
 */

const BLOCK = 3;
const HASH_BITS = 16;
const HASH_SHIFT = 32 - HASH_BITS;
const GOLDEN = 0x9e3779b1 | 0;
/** Bigger windows allow longer jumps but put more blocks in the table (bench/matcher.bench.mjs). */
export const MAX_WINDOW = 32;
/** Ranges of fewer starts than this are walked in one lane: the split costs more than it saves. */
const LANE_MIN = 4096;

export type PartialHandler = (index: number, start: number) => void;

function hashAt(b: Uint8Array, end: number): number {
  return Math.imul(b[end - 2]! | (b[end - 1]! << 8) | (b[end]! << 16), GOLDEN) >>> HASH_SHIFT;
}

export class WuManber {
  readonly window: number;
  readonly #needles: readonly Buffer[];
  readonly #shift: Uint8Array;
  /** Needles by the hash of their last window block, as offsets into #items (CSR layout). */
  readonly #bucketStart: Int32Array;
  readonly #items: Int32Array;

  /** All needles must be at least `window` (>= BLOCK) bytes long. */
  constructor(needles: readonly Buffer[], window: number) {
    this.window = window;
    this.#needles = needles;
    const size = 1 << HASH_BITS;
    this.#shift = new Uint8Array(size).fill(window - BLOCK + 1);
    const counts = new Int32Array(size + 1);
    const lastHash = new Int32Array(needles.length);
    needles.forEach((needle, index) => {
      for (let end = BLOCK - 1; end < window; end++) {
        const h = hashAt(needle, end);
        const shift = window - 1 - end;
        if (shift < this.#shift[h]!) this.#shift[h] = shift;
      }
      const h = hashAt(needle, window - 1);
      lastHash[index] = h;
      counts[h + 1]!++;
    });
    for (let h = 0; h < size; h++) counts[h + 1]! += counts[h]!;
    this.#bucketStart = counts;
    this.#items = new Int32Array(needles.length);
    const fill = counts.slice(0, size);
    needles.forEach((_needle, index) => {
      this.#items[fill[lastHash[index]!]!++] = index;
    });
  }

  /**
   * Needles starting at s in [from, to), only where s + window <= hay.length. A needle that
   * runs past the end with every available byte equal goes to `onPartial`. Calls come in no
   * particular order.
   */
  scan(hay: Buffer, from: number, to: number, onMatch: PartialHandler, onPartial?: PartialHandler): void {
    const m = this.window;
    const first = Math.max(from, 0);
    // one past the last start examined
    const stop = Math.min(to, hay.length - m + 1);
    // the lanes read each block with one 4-byte load ending at the window's end: window >= 4
    if (stop - first < LANE_MIN || m < 4) {
      this.#walk(hay, first, stop, onMatch, onPartial);
      return;
    }
    const quarter = Math.floor((stop - first) / 4);
    const s1 = first + quarter;
    const s2 = s1 + quarter;
    const s3 = s2 + quarter;
    const shift = this.#shift;
    // a, b, c, d: the window end of each lane; each lane ends where the next one starts
    let a = first + m - 1;
    let b = s1 + m - 1;
    let c = s2 + m - 1;
    let d = s3 + m - 1;
    const endA = b;
    const endB = c;
    const endC = d;
    const endD = stop + m - 1;
    // One little-endian 4-byte load per block, its first byte shifted out (the same hash as
    // hashAt): 30% more bytes per second than three byte loads in interleaved runs.
    const view = new DataView(hay.buffer, hay.byteOffset, hay.length);
    while (a < endA && b < endB && c < endC && d < endD) {
      const ha = Math.imul(view.getUint32(a - 3, true) >>> 8, GOLDEN) >>> HASH_SHIFT;
      const hb = Math.imul(view.getUint32(b - 3, true) >>> 8, GOLDEN) >>> HASH_SHIFT;
      const hc = Math.imul(view.getUint32(c - 3, true) >>> 8, GOLDEN) >>> HASH_SHIFT;
      const hd = Math.imul(view.getUint32(d - 3, true) >>> 8, GOLDEN) >>> HASH_SHIFT;
      const ja = shift[ha]!;
      const jb = shift[hb]!;
      const jc = shift[hc]!;
      const jd = shift[hd]!;
      if (ja !== 0) a += ja;
      else this.#verify(hay, a++ - m + 1, ha, onMatch, onPartial);
      if (jb !== 0) b += jb;
      else this.#verify(hay, b++ - m + 1, hb, onMatch, onPartial);
      if (jc !== 0) c += jc;
      else this.#verify(hay, c++ - m + 1, hc, onMatch, onPartial);
      if (jd !== 0) d += jd;
      else this.#verify(hay, d++ - m + 1, hd, onMatch, onPartial);
    }
    this.#walk(hay, a - m + 1, s1, onMatch, onPartial);
    this.#walk(hay, b - m + 1, s2, onMatch, onPartial);
    this.#walk(hay, c - m + 1, s3, onMatch, onPartial);
    this.#walk(hay, d - m + 1, stop, onMatch, onPartial);
  }

  /** One lane: starts in [from, stop), with stop <= hay.length - window + 1. */
  #walk(hay: Buffer, from: number, stop: number, onMatch: PartialHandler, onPartial?: PartialHandler): void {
    const m = this.window;
    const shift = this.#shift;
    const end = stop + m - 1;
    let pos = from + m - 1;
    while (pos < end) {
      const h = Math.imul(hay[pos - 2]! | (hay[pos - 1]! << 8) | (hay[pos]! << 16), GOLDEN) >>> HASH_SHIFT;
      const jump = shift[h]!;
      if (jump !== 0) {
        pos += jump;
        continue;
      }
      this.#verify(hay, pos - m + 1, h, onMatch, onPartial);
      pos++;
    }
  }

  /** Compares the needles whose last window block hashes to `h` with the bytes at `start`. */
  #verify(hay: Buffer, start: number, h: number, onMatch: PartialHandler, onPartial?: PartialHandler): void {
    const n = hay.length;
    const items = this.#items;
    const needles = this.#needles;
    for (let k = this.#bucketStart[h]!, end = this.#bucketStart[h + 1]!; k < end; k++) {
      const index = items[k]!;
      const needle = needles[index]!;
      // most candidates differ at once: no native call for them
      if (hay[start] !== needle[0]) continue;
      const fits = start + needle.length <= n;
      const length = fits ? needle.length : n - start;
      if (equalAt(hay, start, needle, length)) {
        if (fits) onMatch(index, start);
        else onPartial?.(index, start);
      }
    }
  }
}

/** hay[start, start+length) === needle[0, length); short lengths in JS, long ones natively. */
export function equalAt(hay: Buffer, start: number, needle: Buffer, length: number): boolean {
  if (length > 32) return hay.compare(needle, 0, length, start, start + length) === 0;
  for (let i = 0; i < length; i++) if (hay[start + i] !== needle[i]) return false;
  return true;
}
