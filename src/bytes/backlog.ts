/**
 * Work that asynchronous consumers (zlib, zstd) still owe while the synchronous tar walk runs:
 * their drains and their ends. The reader awaits the backlog before it reads the next chunk, so
 * memory stays bounded by one chunk per consumer. Each decompressor gives its own consumers a
 * child backlog: it waits for its consumers, and its parent waits for it, never the reverse.
 * Promises added here must not reject: consumers record their errors themselves.
 */
export class Backlog {
  #waits: Promise<unknown>[] = [];

  add(wait: Promise<unknown>): void {
    this.#waits.push(wait);
  }

  get pending(): boolean {
    return this.#waits.length > 0;
  }

  async settle(): Promise<void> {
    while (this.#waits.length > 0) {
      const waits = this.#waits;
      this.#waits = [];
      await Promise.all(waits);
    }
  }
}

/** Bytes pushed synchronously; `chunk` is borrowed (valid only during the call), so keep copies, never the chunk. */
export interface ByteSink {
  write(chunk: Buffer): void;
  end(): void;
  /**
   * True once the sink needs no more bytes (a tar's end-of-archive marker was read): a source
   * whose last bytes come late may stop reading and end it. Absent: never.
   */
  readonly complete?: boolean;
}
