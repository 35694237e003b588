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
 */

const BLOCK = 3;
const HASH_BITS = 16;
const HASH_SHIFT = 32 - HASH_BITS;
const GOLDEN = 0x9e3779b1 | 0;
/** Bigger windows allow longer jumps but put more blocks in the table (bench/matcher.bench.mjs). */
export const MAX_WINDOW = 32;

export type PartialHandler = (index: number, start: number) => void;

function hashAt(b: Uint8Array, end: number): number {
  return Math.imul((b[end - 2]! << 16) | (b[end - 1]! << 8) | b[end]!, GOLDEN) >>> HASH_SHIFT;
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
   * runs past the end with every available byte equal goes to `onPartial`.
   */
  scan(hay: Buffer, from: number, to: number, onMatch: PartialHandler, onPartial?: PartialHandler): void {
    const n = hay.length;
    const m = this.window;
    const last = Math.min(to - 1, n - m) + m - 1;
    const shift = this.#shift;
    const bucketStart = this.#bucketStart;
    const items = this.#items;
    const needles = this.#needles;
    let pos = Math.max(from, 0) + m - 1;
    while (pos <= last) {
      const h = Math.imul((hay[pos - 2]! << 16) | (hay[pos - 1]! << 8) | hay[pos]!, GOLDEN) >>> HASH_SHIFT;
      const jump = shift[h]!;
      if (jump !== 0) {
        pos += jump;
        continue;
      }
      const start = pos - m + 1;
      for (let k = bucketStart[h]!, end = bucketStart[h + 1]!; k < end; k++) {
        const index = items[k]!;
        const needle = needles[index]!;
        const fits = start + needle.length <= n;
        const length = fits ? needle.length : n - start;
        if (equalAt(hay, start, needle, length)) {
          if (fits) onMatch(index, start);
          else onPartial?.(index, start);
        }
      }
      pos++;
    }
  }
}

/** hay[start, start+length) === needle[0, length); short lengths in JS, long ones natively. */
export function equalAt(hay: Buffer, start: number, needle: Buffer, length: number): boolean {
  if (length > 32) return hay.compare(needle, 0, length, start, start + length) === 0;
  for (let i = 0; i < length; i++) if (hay[start + i] !== needle[i]) return false;
  return true;
}
