import { randomBytes } from "node:crypto";

/**
 * What `deleted` needs to know about one layer's paths, in 12 bytes a record: a 64-bit hash of
 * the path and the last entry that had it. A Map of strings cost about 200 bytes an entry, so
 * a layer of a million empty files took hundreds of MB. A hash collision can only make a
 * finding's `deleted` wrong (a path taken for one that is present); what is found and where is
 * never decided here. The hash is seeded per process, so an image cannot be made to collide.
 */
export type PathKind = "entry" | "whiteout" | "opaque";

const KIND_SEED: Readonly<Record<PathKind, number>> = { entry: 0, whiteout: 0x9e3779b9, opaque: 0x7f4a7c15 };

let seeds: Uint32Array | undefined;
let hashHi = 0;
let hashLo = 0;

/** Two 32-bit multiply-xor lanes over the UTF-16 units, mixed at the end; into hashHi/hashLo. */
function hash(path: string, kind: PathKind): void {
  seeds ??= new Uint32Array(randomBytes(8).buffer);
  let h1 = seeds[0]! ^ KIND_SEED[kind];
  let h2 = seeds[1]! ^ path.length;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  hashHi = h1 >>> 0;
  hashLo = h2 >>> 0;
}

/** Records are appended in entry order, then sorted once by hash (`finish`). */
export class PathIndexBuilder {
  #hi = new Uint32Array(1024);
  #lo = new Uint32Array(1024);
  #meta = new Uint32Array(1024);
  #count = 0;
  #done: PathIndex | undefined;

  /** `entry`: the 1-based position in the layer (below 2^31; the layer's entry limit is far lower). */
  add(path: string, kind: PathKind, entry: number, isDir: boolean): void {
    if (this.#count === this.#hi.length) this.#grow();
    hash(path, kind);
    const at = this.#count++;
    this.#hi[at] = hashHi;
    this.#lo[at] = hashLo;
    this.#meta[at] = (entry << 1) | (isDir ? 1 : 0);
  }

  #grow(): void {
    const size = this.#hi.length * 2;
    const widen = (from: Uint32Array): Uint32Array<ArrayBuffer> => {
      const to = new Uint32Array(size);
      to.set(from);
      return to;
    };
    this.#hi = widen(this.#hi);
    this.#lo = widen(this.#lo);
    this.#meta = widen(this.#meta);
  }

  /** Sorts once; later calls return the same index. */
  finish(): PathIndex {
    if (this.#done !== undefined) return this.#done;
    const n = this.#count;
    const order = sortByKey(this.#hi, n);
    const hi = new Uint32Array(n);
    const lo = new Uint32Array(n);
    const meta = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const from = order[i]!;
      hi[i] = this.#hi[from]!;
      lo[i] = this.#lo[from]!;
      meta[i] = this.#meta[from]!;
    }
    this.#hi = this.#lo = this.#meta = new Uint32Array(0);
    this.#count = 0;
    this.#done = new PathIndex(hi, lo, meta);
    return this.#done;
  }
}

/**
 * Positions 0..n-1 ordered by key, stable (records of one path stay in entry order): two
 * 16-bit LSD radix passes, linear where a comparison sort of a million records is not.
 */
function sortByKey(key: Uint32Array, n: number): Uint32Array {
  let from = new Uint32Array(n);
  for (let i = 0; i < n; i++) from[i] = i;
  let to = new Uint32Array(n);
  const counts = new Uint32Array(65536);
  for (const shift of [0, 16]) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(key[i]! >>> shift) & 0xffff]! += 1;
    let sum = 0;
    for (let b = 0; b < 65536; b++) {
      const c = counts[b]!;
      counts[b] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const at = from[i]!;
      to[counts[(key[at]! >>> shift) & 0xffff]!++] = at;
    }
    [from, to] = [to, from];
  }
  return from;
}

/** One layer's paths, by hash: the last entry at a path, whiteouts, opaque directories. */
export class PathIndex {
  readonly #hi: Uint32Array;
  readonly #lo: Uint32Array;
  readonly #meta: Uint32Array;

  constructor(hi: Uint32Array, lo: Uint32Array, meta: Uint32Array) {
    this.#hi = hi;
    this.#lo = lo;
    this.#meta = meta;
  }

  get size(): number {
    return this.#hi.length;
  }

  /** The last record of `path` (entry << 1 | isDir), or -1. */
  #last(path: string, kind: PathKind): number {
    hash(path, kind);
    const hi = this.#hi;
    let low = 0;
    let high = hi.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (hi[mid]! < hashHi) low = mid + 1;
      else high = mid;
    }
    let found = -1;
    for (let i = low; i < hi.length && hi[i] === hashHi; i++) if (this.#lo[i] === hashLo) found = this.#meta[i]!;
    return found;
  }

  /** The 1-based position of the last entry at `path`, or 0 when none has it. */
  latest(path: string): number {
    const meta = this.#last(path, "entry");
    return meta === -1 ? 0 : meta >>> 1;
  }

  /** Whether the last entry at `path` is a directory; undefined when none has it. */
  isDirectory(path: string): boolean | undefined {
    const meta = this.#last(path, "entry");
    return meta === -1 ? undefined : (meta & 1) === 1;
  }

  hasWhiteout(path: string): boolean {
    return this.#last(path, "whiteout") !== -1;
  }

  isOpaque(path: string): boolean {
    return this.#last(path, "opaque") !== -1;
  }
}
