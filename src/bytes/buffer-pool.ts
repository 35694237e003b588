/**
 * Spare buffers of one size for searchers made and ended by the thousand (one per archive
 * member): a fresh history per member cost 70 MB of short-lived buffers on the bench image,
 * which the allocator kept as resident heap. A buffer handed back must not be used again.
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
