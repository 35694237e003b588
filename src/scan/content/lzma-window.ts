/** A match reaching farther back than the window kept: a limit (not searched), not corrupt data. */
export class WindowLimit extends Error {}

/** The window's first allocation; it doubles up to its limit as output comes. */
const FIRST = 1024 * 1024;

/**
 * LZMA's dictionary as a ring of at most `limit` bytes: what was decoded, for matches to copy
 * from, handed on (`flush`) before it is overwritten. Distances are checked against what the
 * ring holds, so hostile data cannot read outside it.
 */
export class LzmaWindow {
  #buf: Buffer;
  #pos = 0;
  #flushed = 0;
  #wrapped = false;
  /** bytes decoded since the last dictionary reset */
  total = 0;

  constructor(
    readonly limit: number,
    private readonly flush: (bytes: Buffer) => void,
  ) {
    this.#buf = Buffer.alloc(Math.min(limit, FIRST));
  }

  /** A dictionary reset: earlier bytes can no longer be copied. */
  reset(): void {
    this.total = 0;
  }

  /** The byte `distance + 1` back (distance 0: the last byte). */
  back(distance: number): number {
    this.#check(distance);
    let i = this.#pos - distance - 1;
    if (i < 0) i += this.#buf.length;
    return this.#buf[i]!;
  }

  put(byte: number): void {
    this.#buf[this.#pos++] = byte;
    this.total++;
    if (this.#pos === this.#buf.length) this.#full();
  }

  putBytes(input: Uint8Array, from: number, to: number): void {
    while (from < to) {
      const n = Math.min(to - from, this.#buf.length - this.#pos);
      this.#buf.set(input.subarray(from, from + n), this.#pos);
      this.#pos += n;
      this.total += n;
      from += n;
      if (this.#pos === this.#buf.length) this.#full();
    }
  }

  /** Copies `count` bytes from `distance + 1` back, overlapping as LZ77 does. */
  copyMatch(distance: number, count: number): void {
    this.#check(distance);
    let from = this.#pos - distance - 1;
    if (from < 0) from += this.#buf.length;
    while (count > 0) {
      const buf = this.#buf;
      // a run that neither wraps nor overlaps what it writes is one copy
      const run = Math.min(count, buf.length - this.#pos, buf.length - from, distance + 1);
      buf.copyWithin(this.#pos, from, from + run);
      this.#pos += run;
      this.total += run;
      count -= run;
      from += run;
      if (this.#pos === buf.length) this.#full();
      // the ring grew (the source stays where it was) or wrapped
      if (from === this.#buf.length) from = 0;
    }
  }

  /** Hands on what was decoded since the last flush. */
  drain(): void {
    if (this.#pos > this.#flushed) this.flush(this.#buf.subarray(this.#flushed, this.#pos));
    this.#flushed = this.#pos;
  }

  #check(distance: number): void {
    if (distance >= this.total) throw new RangeError("a match before the data's start");
    const held = this.#wrapped ? this.#buf.length : this.#pos;
    if (distance >= held) throw new WindowLimit(`a match ${distance + 1} bytes back, farther than the ${this.limit}-byte window kept`);
  }

  /** The ring's end: grow while under the limit, else hand on and start again at 0. */
  #full(): void {
    if (!this.#wrapped && this.#buf.length < this.limit) {
      const grown = Buffer.alloc(Math.min(this.limit, this.#buf.length * 2));
      grown.set(this.#buf);
      this.#buf = grown;
      return;
    }
    this.drain();
    this.#pos = 0;
    this.#flushed = 0;
    this.#wrapped = true;
  }
}
