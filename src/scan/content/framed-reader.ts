import type { ContentSink } from "./content-report.js";
import type { DecoderContext } from "./decoder.js";

/**
 * A compressed format read as it streams in units whose size is known before they come (a
 * header, a block, a chunk): each unit is handed whole to `take`, straight from the chunk when
 * it is all there, else gathered first; runs of bytes to pass over are skipped uncopied.
 */
export abstract class FramedReader<Step> implements ContentSink {
  /** set once a fault or a limit stopped the reading: nothing more is taken */
  protected stopped = false;
  #step: Step;
  #need: number;
  #pending: Buffer | null = null;
  #fill = 0;
  #skipLeft = 0;

  constructor(
    protected readonly dc: DecoderContext,
    first: Step,
    need: number,
  ) {
    this.#step = first;
    this.#need = need;
  }

  write(chunk: Buffer): void {
    let at = 0;
    while (!this.stopped && at < chunk.length) {
      if (this.#skipLeft > 0) {
        const n = Math.min(this.#skipLeft, chunk.length - at);
        this.#skipLeft -= n;
        at += n;
        continue;
      }
      if (this.#fill === 0 && chunk.length - at >= this.#need) {
        const from = at;
        at += this.#need;
        this.take(chunk, from);
        continue;
      }
      at += this.#gather(chunk, at);
      if (this.#fill < this.#need) return;
      this.#fill = 0;
      this.take(this.#pending!, 0);
    }
  }

  abstract end(): void;

  /** One unit: the `need` bytes at `buf[at]`, borrowed (copied if kept). */
  protected abstract take(buf: Buffer, at: number): void;

  protected get step(): Step {
    return this.#step;
  }

  protected get need(): number {
    return this.#need;
  }

  /** true between units: nothing gathered, nothing left to skip */
  protected get atUnitStart(): boolean {
    return this.#fill === 0 && this.#skipLeft === 0;
  }

  protected expect(step: Step, need: number): void {
    this.#step = step;
    this.#need = need;
  }

  /** Passes over `bytes` bytes, then waits for `need` bytes of `step`. */
  protected skip(bytes: number, step: Step, need: number): void {
    this.#skipLeft = bytes;
    this.expect(step, need);
  }

  protected dropPending(): void {
    this.#pending = null;
  }

  #gather(chunk: Buffer, at: number): number {
    if (this.#pending === null || this.#pending.length < this.#need) {
      const grown = Buffer.allocUnsafe(Math.max(this.#need, 64));
      this.#pending?.copy(grown, 0, 0, this.#fill);
      this.#pending = grown;
    }
    const n = chunk.copy(this.#pending, this.#fill, at, Math.min(chunk.length, at + this.#need - this.#fill));
    this.#fill += n;
    return n;
  }
}
