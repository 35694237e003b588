const MiB = 1024 * 1024;
/** a spare buffer up to this size is kept for the next file; a larger one goes back to the allocator */
const KEEP_BYTES = 16 * MiB;
const MIN_BYTES = 256 * 1024;

/**
 * The buffer files are gathered in before they are decoded (zip, xz, bzip2, nested gzip),
 * reused from one file to the next: a layer's jars come one after another. A copy per chunk
 * and a concatenation per file cost 100 MB of short-lived buffers on the bench image's jars,
 * which the allocator kept as resident heap. A file gathered while the spare is in use (a jar
 * inside a jar) gets a buffer of its own.
 */
export class GatherPool {
  #spare: Buffer | null = null;

  /** A buffer of at least `size` bytes: the spare when it is large enough, else a new one. */
  take(size: number): Buffer {
    const spare = this.#spare;
    if (spare !== null && spare.length >= size) {
      this.#spare = null;
      return spare;
    }
    return Buffer.allocUnsafeSlow(size > KEEP_BYTES ? size : Math.max(MIN_BYTES, 2 ** Math.ceil(Math.log2(size))));
  }

  /** Hands a buffer from `take` back: kept as the spare when it is the largest one worth keeping. */
  give(buffer: Buffer): void {
    if (buffer.length > KEEP_BYTES) return;
    if (this.#spare === null || this.#spare.length < buffer.length) this.#spare = buffer;
  }
}
