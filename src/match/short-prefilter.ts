import { SHORT_PREFILTER_WASM } from "./short-prefilter-wasm.js";
import { equalAt } from "./wu-manber.js";
import { groupShort } from "./short-needles.js";

/**
 * Needles of 3 to 15 bytes (the rules' keywords, short values) found in one pass by the SIMD
 * kernel of short-prefilter.wat, so the Wu-Manber pass keeps the 16-byte window the long needles
 * allow. Hand-written because it is the scan's measured hot path: each short needle used to cost
 * a native indexOf pass (150-1000 ms per GB here) and halved the Wu-Manber window
 * (docs/performance.md).
 */

/** A needle as matcher.ts holds it (declared here too: matcher.ts imports this file). */
interface Needle {
  readonly bytes: Buffer;
  readonly tag: number;
}

/** The kernel's memory layout (short-prefilter.wat). */
const MASKS = 0;
const DATA = 1024;
const CAPACITY = 256 * 1024;
/** zero bytes the kernel may read past the last position (its next-block load) */
const SLACK = 32;
const OUT = 264192;
/** the needles' first three bytes, hashed into 2^16 bits (short-prefilter.wat) */
const FILTER = 1316864;
const FILTER_BYTES = 8192;
const BUCKETS = 8;
/** Shorter ranges are looked at in JavaScript: copying them in and calling the kernel costs more. */
export const PREFILTER_MIN_BYTES = 4096;
/** More needles than this share buckets so widely that most positions become candidates. */
export const MAX_PREFILTER_NEEDLES = 64;
/**
 * Passes of the kernel one matcher may make, each over at most MAX_PREFILTER_NEEDLES: one short
 * secret (20 needles of 8 to 15 bytes) beside the rules' keywords used to push the scan off the
 * kernel onto an indexOf pass per keyword and a Wu-Manber window of 8 (about 60 % more CPU).
 */
export const MAX_PREFILTER_PASSES = 3;
/** The kernel looks at each position's first 3 bytes. */
export const PREFILTER_MIN_NEEDLE = 3;

interface Kernel {
  readonly memory: Uint8Array;
  readonly out: Uint32Array;
  readonly scan: (limit: number) => number;
  /** whose masks are in the memory now */
  loaded: ShortPrefilter | null;
}

/** The part of the WebAssembly API used here (this project's TypeScript lib declares none of it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
}

// one instance per thread (a module's state is per thread), made on first use
let kernel: Kernel | null | undefined;

function loadKernel(): Kernel | null {
  if (kernel !== undefined) return kernel;
  try {
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const instance = new wasm.Instance(new wasm.Module(Buffer.from(SHORT_PREFILTER_WASM, "base64")), {});
    const { buffer } = instance.exports["memory"] as { readonly buffer: ArrayBuffer };
    kernel = { memory: new Uint8Array(buffer), out: new Uint32Array(buffer, OUT, CAPACITY), scan: instance.exports["scan"] as (limit: number) => number, loaded: null };
  } catch {
    // a runtime without WebAssembly SIMD: the matcher searches short needles with indexOf
    kernel = null;
  }
  return kernel;
}

/** Whether this runtime runs the kernel (WebAssembly SIMD). */
export function prefilterAvailable(): boolean {
  return loadKernel() !== null;
}

export class ShortPrefilter {
  readonly #masks = new Uint8Array(96);
  readonly #filter = new Uint8Array(FILTER_BYTES);
  readonly #buckets: Needle[][] = Array.from({ length: BUCKETS }, () => []);
  /** For ranges too short for the kernel: the needles by their first two bytes (1 in `#pairs` where some start so). */
  readonly #pairs = new Uint8Array(65536);
  readonly #byPair = new Map<number, Needle[]>();
  #candidates = 0;

  /** Each needle 3 bytes or more; at most MAX_PREFILTER_NEEDLES of them. */
  constructor(needles: readonly Needle[]) {
    // needles sharing their first two bytes share a bucket (GitHub's gh?_ prefixes): fewer mask bits, fewer false candidates
    const groups = groupShort(needles)
      .map((g) => g.members)
      .sort((a, b) => b.length - a.length);
    for (const group of groups) {
      const pair = (group[0]!.bytes[0]! << 8) | group[0]!.bytes[1]!;
      this.#pairs[pair] = 1;
      this.#byPair.set(pair, [...group]);
    }
    // greedy placement depends on the order the groups come in: a few orders, the best kept
    const orders = [groups, [...groups].sort((a, b) => passRate(b) - passRate(a)), [...groups].sort((a, b) => a[0]!.bytes[0]! - b[0]!.bytes[0]!)];
    let best: Needle[][] | undefined;
    for (const order of orders) {
      const buckets = place(order);
      if (best === undefined || total(buckets) < total(best)) best = buckets;
    }
    best!.forEach((bucket, b) => this.#buckets[b]!.push(...bucket));
    for (const { bytes } of needles) {
      const h = filterBit(bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16));
      this.#filter[h >>> 3]! |= 1 << (h & 7);
    }
    this.#buckets.forEach((bucket, b) => {
      for (const { bytes } of bucket) {
        for (let k = 0; k < PREFILTER_MIN_NEEDLE; k++) {
          this.#masks[32 * k + (bytes[k]! & 15)]! |= 1 << b;
          this.#masks[32 * k + 16 + (bytes[k]! >> 4)]! |= 1 << b;
        }
      }
    });
  }

  /** The share of positions (bytes as BYTE_SHARE has them) some bucket lets through to a compare (bench/tests). */
  get passRate(): number {
    return this.#buckets.reduce((sum, bucket) => sum + passRate(bucket), 0);
  }

  /** How many positions the kernel has handed to JavaScript to compare, all calls so far (tests, benches). */
  get candidates(): number {
    return this.#candidates;
  }

  /** Every occurrence of a needle starting in [from, limit) and lying wholly inside `hay`. */
  find(hay: Buffer, from: number, limit: number, onMatch: (tag: number, at: number) => void): void {
    if (limit - from < PREFILTER_MIN_BYTES) {
      this.#findSmall(hay, from, limit, onMatch);
      return;
    }
    const k = loadKernel()!;
    if (k.loaded !== this) {
      k.memory.set(this.#masks, MASKS);
      k.memory.set(this.#filter, FILTER);
      k.loaded = this;
    }
    for (let at = from; at < limit; at += CAPACITY) {
      const n = Math.min(CAPACITY, limit - at);
      const end = Math.min(hay.length, at + n + SLACK);
      k.memory.set(hay.subarray(at, end), DATA);
      if (end - at < n + SLACK) k.memory.fill(0, DATA + end - at, DATA + n + SLACK);
      const count = k.scan(n);
      this.#candidates += count;
      for (let e = 0; e < count; e++) {
        const candidate = k.out[e]!;
        const p = at + (candidate >>> 8);
        for (let bits = candidate & 255; bits !== 0; bits &= bits - 1) {
          for (const needle of this.#buckets[31 - Math.clz32(bits & -bits)]!) {
            const length = needle.bytes.length;
            if (p + length <= hay.length && equalAt(hay, p, needle.bytes, length)) onMatch(needle.tag, p);
          }
        }
      }
    }
  }

  /** A short range (a path, a log line): a look at each position's first two bytes beats a call into the kernel and an indexOf pass per needle. */
  #findSmall(hay: Buffer, from: number, limit: number, onMatch: (tag: number, at: number) => void): void {
    const pairs = this.#pairs;
    const stop = Math.min(limit, hay.length - 1);
    for (let p = from; p < stop; p++) {
      const pair = (hay[p]! << 8) | hay[p + 1]!;
      if (pairs[pair] === 0) continue;
      for (const needle of this.#byPair.get(pair)!) {
        const length = needle.bytes.length;
        if (p + length <= hay.length && equalAt(hay, p, needle.bytes, length)) onMatch(needle.tag, p);
      }
    }
  }
}

/** The kernel's hash of a position's first three bytes (little-endian), a bit of the 2^16 in its filter. */
const filterBit = (three: number): number => Math.imul(three, 0x9e3779b1) >>> 16;

const total = (buckets: readonly (readonly Needle[])[]): number => buckets.reduce((sum, bucket) => sum + passRate(bucket), 0);

/**
 * Each group to the bucket its nibbles widen least (a bucket passes a position when each of its
 * first 3 bytes has a low and a high nibble some needle of the bucket has there), then a few
 * rounds moving a group to another bucket while that lets fewer positions through.
 */
function place(groups: readonly (readonly Needle[])[]): Needle[][] {
  const buckets: Needle[][] = Array.from({ length: BUCKETS }, () => []);
  for (const group of groups) {
    let best = 0;
    let bestCost = Infinity;
    buckets.forEach((bucket, b) => {
      const cost = passRate([...bucket, ...group]) - passRate(bucket);
      if (cost < bestCost || (cost === bestCost && bucket.length < buckets[best]!.length)) {
        best = b;
        bestCost = cost;
      }
    });
    buckets[best]!.push(...group);
  }
  for (let round = 0; round < 4; round++) {
    let moved = false;
    for (const group of groups) {
      const from = buckets.findIndex((b) => b.includes(group[0]!));
      const without = buckets[from]!.filter((n) => !group.includes(n));
      const here = passRate(buckets[from]!) - passRate(without);
      let best = from;
      let bestGain = 1e-12;
      buckets.forEach((bucket, b) => {
        if (b === from) return;
        const gain = here - (passRate([...bucket, ...group]) - passRate(bucket));
        if (gain > bestGain) {
          best = b;
          bestGain = gain;
        }
      });
      if (best !== from) {
        buckets[from] = without;
        buckets[best]!.push(...group);
        moved = true;
      }
    }
    if (!moved) break;
  }
  return buckets;
}

/**
 * Prefilters for up to MAX_PREFILTER_PASSES × MAX_PREFILTER_NEEDLES needles (the caller checks):
 * sorted by their first bytes and cut in even parts, so each pass's nibble masks stay narrow.
 */
export function prefilterPasses(needles: readonly Needle[]): ShortPrefilter[] {
  const passes = Math.ceil(needles.length / MAX_PREFILTER_NEEDLES);
  if (passes <= 1) return [new ShortPrefilter(needles)];
  const sorted = [...needles].sort((a, b) => a.bytes.compare(b.bytes, 0, PREFILTER_MIN_NEEDLE, 0, PREFILTER_MIN_NEEDLE));
  const size = Math.ceil(sorted.length / passes);
  const out: ShortPrefilter[] = [];
  for (let at = 0; at < sorted.length; at += size) out.push(new ShortPrefilter(sorted.slice(at, at + size)));
  return out;
}

/**
 * How often each byte value turns up in an image's files, roughly and by design rather than by
 * measurement (fitting it to the bench image would tune the buckets to that image): zeros of
 * binaries and tar padding, English-like text, and the rest spread evenly.
 */
const BYTE_SHARE = ((): Float64Array => {
  const share = new Float64Array(256);
  const spread = (bytes: readonly number[], total: number): void => {
    for (const b of bytes) share[b]! += total / bytes.length;
  };
  const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
  share[0] = 0.15;
  spread(range(1, 31), 0.08);
  spread(range(128, 255), 0.15);
  share[0x20]! += 0.08;
  share[0x0a]! += 0.02;
  spread(range(0x41, 0x5a), 0.06);
  spread(range(0x30, 0x39), 0.05);
  spread([...range(0x21, 0x2f), ...range(0x3a, 0x40), ...range(0x5b, 0x60), ...range(0x7b, 0x7e)], 0.08);
  // English letter frequencies, e to z, for the small letters' 0.33
  const letters = "etaoinshrdlcumwfgypbvkjxqz";
  const weights = [12.7, 9.1, 8.2, 7.5, 7.0, 6.7, 6.3, 6.1, 6.0, 4.3, 4.0, 2.8, 2.8, 2.4, 2.4, 2.2, 2.0, 2.0, 1.9, 1.5, 1.0, 0.8, 0.2, 0.2, 0.1, 0.1];
  const sum = weights.reduce((a, b) => a + b, 0);
  letters.split("").forEach((c, i) => (share[c.charCodeAt(0)]! += (0.33 * weights[i]!) / sum));
  return share;
})();

/**
 * BYTE_SHARE summed over low nibbles, by high nibble and each half of a low-nibble mask: a
 * bucket's share is then 16 additions per byte position, not 256 (placement computes thousands).
 */
const SHARE_BY_HALF = ((): Float64Array => {
  const table = new Float64Array(16 * 2 * 256);
  for (let h = 0; h < 16; h++) {
    for (let half = 0; half < 2; half++) {
      for (let mask = 0; mask < 256; mask++) {
        let sum = 0;
        for (let l = 0; l < 8; l++) if (((mask >> l) & 1) !== 0) sum += BYTE_SHARE[(h << 4) | (half * 8 + l)]!;
        table[(h * 2 + half) * 256 + mask] = sum;
      }
    }
  }
  return table;
})();

/** The share of positions a bucket of these needles lets through (0 when empty), bytes as BYTE_SHARE has them. */
function passRate(needles: readonly Needle[]): number {
  if (needles.length === 0) return 0;
  let rate = 1;
  for (let k = 0; k < PREFILTER_MIN_NEEDLE; k++) {
    let low = 0;
    let high = 0;
    for (const n of needles) {
      low |= 1 << (n.bytes[k]! & 15);
      high |= 1 << (n.bytes[k]! >> 4);
    }
    let passed = 0;
    for (let h = 0; h < 16; h++) {
      if (((high >> h) & 1) !== 0) passed += SHARE_BY_HALF[h * 512 + (low & 255)]! + SHARE_BY_HALF[h * 512 + 256 + (low >> 8)]!;
    }
    rate *= passed;
  }
  return rate;
}
