import type { LzmaWindow } from "./lzma-window.js";

// LZMA's model (the format's public specification, LzmaSpec): 12 states, 16 position states at most
const STATES = 12;
const POS_STATES = 16;
const LEN_LOW = 8;
const LEN_HIGH = 256;
const DIST_SLOTS = 64;
const END_POS_MODEL = 14;
const FULL_DISTANCES = 128;
const ALIGN_BITS = 4;
const MATCH_MIN = 2;
const PROB_INIT = 1024;
const TOP = 0x1000000;

/** Thrown for bytes that are no LZMA data; the message names what, never content. */
export class LzmaError extends Error {}

/** The two length coders (match and repeat), each: choice, choice 2, low and mid trees per position state, high tree. */
class LengthCoder {
  readonly probs = new Uint16Array(2 + 2 * POS_STATES * LEN_LOW + LEN_HIGH);
  reset(): void {
    this.probs.fill(PROB_INIT);
  }
}

/**
 * LZMA's decoder (range coder, probability model, match state), decoding into a window one
 * LZMA2 chunk at a time: the range coder starts again with each chunk while the state, the
 * model and the window may carry over, as the chunk's control byte says. Written here: no
 * package for Node 20 streams LZMA with a bounded window (the in-memory decoder used for
 * smaller files returns the whole output at once).
 */
export class LzmaDecoder {
  #lc = 0;
  #lp = 0;
  #pb = 0;
  #literals = new Uint16Array(0x300);
  readonly #isMatch = new Uint16Array(STATES * POS_STATES);
  readonly #isRep = new Uint16Array(STATES);
  readonly #isRepG0 = new Uint16Array(STATES);
  readonly #isRepG1 = new Uint16Array(STATES);
  readonly #isRepG2 = new Uint16Array(STATES);
  readonly #isRep0Long = new Uint16Array(STATES * POS_STATES);
  readonly #distSlots = new Uint16Array(4 * DIST_SLOTS);
  readonly #distSpecial = new Uint16Array(1 + FULL_DISTANCES - END_POS_MODEL);
  readonly #align = new Uint16Array(1 << ALIGN_BITS);
  readonly #len = new LengthCoder();
  readonly #repLen = new LengthCoder();
  #state = 0;
  #rep0 = 0;
  #rep1 = 0;
  #rep2 = 0;
  #rep3 = 0;
  // the range coder, over the chunk being decoded
  #range = 0;
  #code = 0;
  #in: Uint8Array = new Uint8Array(0);
  #at = 0;
  #end = 0;

  constructor(readonly window: LzmaWindow) {}

  /** lc, lp and pb from a properties byte (LZMA2 allows lc + lp ≤ 4); the model is reset. */
  setProperties(props: number): void {
    if (props >= 9 * 5 * 5) throw new LzmaError("properties byte out of range");
    const lc = props % 9;
    const lp = Math.floor(props / 9) % 5;
    if (lc + lp > 4) throw new LzmaError("lc + lp over 4");
    this.#lc = lc;
    this.#lp = lp;
    this.#pb = Math.floor(props / 45);
    this.#literals = new Uint16Array(0x300 << (lc + lp));
    this.resetState();
  }

  /** A state reset: the model's probabilities, the state and the four distances start again. */
  resetState(): void {
    for (const probs of [this.#literals, this.#isMatch, this.#isRep, this.#isRepG0, this.#isRepG1, this.#isRepG2, this.#isRep0Long, this.#distSlots, this.#distSpecial, this.#align]) {
      probs.fill(PROB_INIT);
    }
    this.#len.reset();
    this.#repLen.reset();
    this.#state = 0;
    this.#rep0 = this.#rep1 = this.#rep2 = this.#rep3 = 0;
  }

  /**
   * Decodes one LZMA2 chunk: `input[from, to)` holds its range-coded data, which must yield
   * exactly `size` bytes into the window (a match never crosses a chunk's end).
   */
  decodeChunk(input: Uint8Array, from: number, to: number, size: number): void {
    if (to - from < 5 || input[from] !== 0) throw new LzmaError("range coder start unreadable");
    this.#in = input;
    this.#code = ((input[from + 1]! << 24) >>> 0) + (input[from + 2]! << 16) + (input[from + 3]! << 8) + input[from + 4]!;
    this.#range = 0xffffffff;
    this.#at = from + 5;
    this.#end = to;
    const window = this.window;
    const goal = window.total + size;
    const pbMask = (1 << this.#pb) - 1;
    while (window.total < goal) {
      const posState = window.total & pbMask;
      const state = this.#state;
      if (this.#bit(this.#isMatch, state * POS_STATES + posState) === 0) {
        this.#literal();
        continue;
      }
      let length: number;
      if (this.#bit(this.#isRep, state) === 0) {
        length = this.#length(this.#len, posState);
        this.#state = state < 7 ? 7 : 10;
        this.#rep3 = this.#rep2;
        this.#rep2 = this.#rep1;
        this.#rep1 = this.#rep0;
        this.#rep0 = this.#distance(length);
        // the end marker is LZMA1's; LZMA2 chunks have sizes
        if (this.#rep0 === 0xffffffff) throw new LzmaError("end marker inside an LZMA2 chunk");
      } else {
        if (window.total === 0) throw new LzmaError("a repeat before any byte");
        if (this.#bit(this.#isRepG0, state) === 0) {
          if (this.#bit(this.#isRep0Long, state * POS_STATES + posState) === 0) {
            this.#state = state < 7 ? 9 : 11;
            window.put(window.back(this.#rep0));
            continue;
          }
        } else {
          let distance: number;
          if (this.#bit(this.#isRepG1, state) === 0) distance = this.#rep1;
          else {
            if (this.#bit(this.#isRepG2, state) === 0) distance = this.#rep2;
            else {
              distance = this.#rep3;
              this.#rep3 = this.#rep2;
            }
            this.#rep2 = this.#rep1;
          }
          this.#rep1 = this.#rep0;
          this.#rep0 = distance;
        }
        length = this.#length(this.#repLen, posState);
        this.#state = state < 7 ? 8 : 11;
      }
      const count = length + MATCH_MIN;
      if (window.total + count > goal) throw new LzmaError("a match past the chunk's end");
      window.copyMatch(this.#rep0, count);
    }
    this.#in = new Uint8Array(0);
  }

  /** A literal byte: the model's hot path (most of a high-entropy file), its range coder held in locals. */
  #literal(): void {
    const window = this.window;
    const total = window.total;
    const previous = total === 0 ? 0 : window.back(0);
    const base = 0x300 * (((total & ((1 << this.#lp) - 1)) << this.#lc) + (previous >>> (8 - this.#lc)));
    const probs = this.#literals;
    const input = this.#in;
    const end = this.#end;
    let range = this.#range;
    let code = this.#code;
    let at = this.#at;
    let symbol = 1;
    // after a match, the byte at rep0 steers the model until the first bit that differs from it
    let matchByte = this.#state >= 7 ? window.back(this.#rep0) : -1;
    while (symbol < 0x100) {
      let index = base + symbol;
      let matchBit = 0;
      if (matchByte >= 0) {
        matchBit = (matchByte >>> 7) & 1;
        matchByte = (matchByte << 1) & 0xff;
        index += (1 + matchBit) << 8;
      }
      const prob = probs[index]!;
      const bound = (range >>> 11) * prob;
      let bit: number;
      if (code < bound) {
        range = bound;
        probs[index] = prob + ((2048 - prob) >>> 5);
        bit = 0;
      } else {
        range -= bound;
        code -= bound;
        probs[index] = prob - (prob >>> 5);
        bit = 1;
      }
      if (range < TOP) {
        if (at >= end) throw new LzmaError("a chunk's data ends before its output");
        range *= 256;
        code = code * 256 + input[at++]!;
      }
      symbol = (symbol << 1) | bit;
      if (matchByte >= 0 && bit !== matchBit) matchByte = -1;
    }
    this.#range = range;
    this.#code = code;
    this.#at = at;
    window.put(symbol & 0xff);
    const state = this.#state;
    this.#state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
  }

  /** A match length less 2: 3 bits (low), 3 bits + 8 (mid) or 8 bits + 16 (high). */
  #length(coder: LengthCoder, posState: number): number {
    const probs = coder.probs;
    if (this.#bit(probs, 0) === 0) return this.#tree(probs, 2 + posState * LEN_LOW, 3);
    if (this.#bit(probs, 1) === 0) return LEN_LOW + this.#tree(probs, 2 + POS_STATES * LEN_LOW + posState * LEN_LOW, 3);
    return 2 * LEN_LOW + this.#tree(probs, 2 + 2 * POS_STATES * LEN_LOW, 8);
  }

  #distance(length: number): number {
    const slot = this.#tree(this.#distSlots, Math.min(length, 3) * DIST_SLOTS, 6);
    if (slot < 4) return slot;
    const direct = (slot >>> 1) - 1;
    // arithmetic, not shifts: distances reach 2^32 - 1
    let distance = (2 | (slot & 1)) * 2 ** direct;
    if (slot < END_POS_MODEL) return distance + this.#reverseTree(this.#distSpecial, distance - slot, direct);
    distance += this.#directBits(direct - ALIGN_BITS) * 16;
    return distance + this.#reverseTree(this.#align, 0, ALIGN_BITS);
  }

  #tree(probs: Uint16Array, base: number, bits: number): number {
    let m = 1;
    for (let i = 0; i < bits; i++) m = (m << 1) | this.#bit(probs, base + m);
    return m - (1 << bits);
  }

  #reverseTree(probs: Uint16Array, base: number, bits: number): number {
    let m = 1;
    let symbol = 0;
    for (let i = 0; i < bits; i++) {
      const bit = this.#bit(probs, base + m);
      m = (m << 1) | bit;
      symbol |= bit << i;
    }
    return symbol;
  }

  #directBits(count: number): number {
    let result = 0;
    for (let i = 0; i < count; i++) {
      this.#range = this.#range >>> 1;
      let bit = 0;
      if (this.#code >= this.#range) {
        this.#code -= this.#range;
        bit = 1;
      }
      result = result * 2 + bit;
      if (this.#range < TOP) this.#normalize();
    }
    return result;
  }

  #bit(probs: Uint16Array, index: number): number {
    const prob = probs[index]!;
    const bound = (this.#range >>> 11) * prob;
    let bit: number;
    if (this.#code < bound) {
      this.#range = bound;
      probs[index] = prob + ((2048 - prob) >>> 5);
      bit = 0;
    } else {
      this.#range -= bound;
      this.#code -= bound;
      probs[index] = prob - (prob >>> 5);
      bit = 1;
    }
    if (this.#range < TOP) this.#normalize();
    return bit;
  }

  #normalize(): void {
    if (this.#at >= this.#end) throw new LzmaError("a chunk's data ends before its output");
    this.#range *= 256;
    this.#code = this.#code * 256 + this.#in[this.#at++]!;
  }
}
