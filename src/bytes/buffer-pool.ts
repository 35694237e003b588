/**
 * Spare buffers of one size, for what is made and ended by the thousand (a searcher's history
 * per archive member: 70 MB of short-lived buffers on the bench image, which the allocator kept
 * as resident heap; a registry blob's chunks). A buffer handed back must not be used again.
 */
export class BufferPool {
  readonly #free: Buffer[] = [];
  readonly size: number;
  readonly #keep: number;

  constructor(size: number, keep = 16) {
    this.size = size;
    this.#keep = keep;
  }

  take(): Buffer {
    return this.#free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  give(buffer: Buffer): void {
    if (buffer.length === this.size && this.#free.length < this.#keep) this.#free.push(buffer);
  }
}

const pools = new Map<number, BufferPool>();

/** The pool for buffers of `size` bytes in this thread. */
export function poolOf(size: number): BufferPool {
  let pool = pools.get(size);
  if (pool === undefined) pools.set(size, (pool = new BufferPool(size)));
  return pool;
}
