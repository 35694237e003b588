import type { ContentSink } from "./content-report.js";
import type { DecoderContext } from "./decoder.js";

/**
 * An archive read as a state machine over its bytes as they come (ar, cpio, rpm): each step
 * takes what the current state needs from a chunk and says where it stopped; a fault stops the
 * reading and is reported once as not well-formed.
 */
export abstract class SteppedReader implements ContentSink {
  protected failed = false;
  protected readonly dc: DecoderContext;
  readonly #format: string;

  constructor(dc: DecoderContext, format: string) {
    this.dc = dc;
    this.#format = format;
  }

  write(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && !this.failed && !this.done()) at = this.step(chunk, at);
  }

  abstract end(): void;

  /** Takes what the current state needs from `chunk` at `at`; returns where it stopped. */
  protected abstract step(chunk: Buffer, at: number): number;

  /** true once the archive says it has ended: what follows is not read */
  protected done(): boolean {
    return false;
  }

  /** Hands up to `remain` bytes of `chunk` from `at` to `sink` (a view, never a copy); returns how many. */
  protected pass(chunk: Buffer, at: number, remain: number, sink: ContentSink | null): number {
    const take = Math.min(remain, chunk.length - at);
    sink?.write(at === 0 && take === chunk.length ? chunk : chunk.subarray(at, at + take));
    return take;
  }

  protected fail(reason: string): void {
    this.failed = true;
    this.onFail();
    this.dc.report.unreadable(this.dc.inner, `${this.#format}: ${reason}`);
  }

  /** what a fault closes (an open member) */
  protected onFail(): void {}
}
