import { compileMatcher, type Needle, type RangeMatcher } from "./matcher.js";
import { equalAt } from "./wu-manber.js";

/** An occurrence whose first bytes have been seen and whose rest is still to come. */
interface Pending {
  readonly index: number;
  readonly start: number;
  matched: number;
}

export type StreamMatchHandler = (tag: number, offset: number) => void;

/** What a stream's consumer uses: StreamSearch, or a wrapper around one (keyword-windows.ts). */
export interface StreamSearcher {
  readonly maxLength: number;
  readonly offset: number;
  push(chunk: Buffer, onMatch: StreamMatchHandler): void;
  end(onMatch: StreamMatchHandler): void;
  reset(): void;
}

interface SplitNeedles {
  readonly bytes: readonly Buffer[];
  readonly tags: readonly number[];
}

const splitNeedles = (list: readonly Needle[]): SplitNeedles => ({ bytes: list.map((n) => n.bytes), tags: list.map((n) => n.tag) });

// streams over one compiled matcher share their needle list: a stream per archive member made
// these two arrays (1,000 needles) thousands of times, 37 MB of garbage on the bench image
const splits = new WeakMap<readonly Needle[], SplitNeedles>();
function splitOnce(list: readonly Needle[]): SplitNeedles {
  let split = splits.get(list);
  if (split === undefined) splits.set(list, (split = splitNeedles(list)));
  return split;
}

/**
 * Finds needles in a stream pushed chunk by chunk, each occurrence once, at its absolute
 * offset, wherever the chunk boundaries fall. Occurrences ending in the last window-1 bytes
 * are reported by `end()`.
 *
 * Only the last window-1 bytes (at most 31) are carried between chunks: a start position is
 * examined once enough bytes follow it to judge its needle's first `window` bytes. An
 * occurrence that runs past the end of a chunk is remembered as pending and checked against
 * the following chunks, so a needle of a megabyte costs no megabyte of carry. Chunks are
 * scanned in place; only the small junction (carry + head of the next chunk) is copied.
 */
export class StreamSearch implements StreamSearcher {
  readonly #matcher: RangeMatcher;
  readonly #needles: readonly Buffer[];
  readonly #tags: readonly number[];
  readonly #carry: Buffer;
  #carryLength = 0;
  #offset = 0;
  #pending: Pending[] = [];

  /**
   * `compiled`, when given, must be `compileMatcher` of exactly these needles with each tag
   * equal to its index: one matcher then serves every stream (a layer's many entries).
   */
  constructor(needles: readonly Needle[], compiled?: RangeMatcher) {
    const list = compiled === undefined ? needles.filter((n) => n.bytes.length > 0) : needles;
    // The matcher reports internal indexes, which find the needle for pending checks.
    this.#matcher = compiled ?? compileMatcher(list.map((n, index) => ({ bytes: n.bytes, tag: index })));
    const split = compiled === undefined ? splitNeedles(list) : splitOnce(list);
    this.#needles = split.bytes;
    this.#tags = split.tags;
    this.#carry = Buffer.alloc(2 * Math.max(1, this.#matcher.window));
  }

  get maxLength(): number {
    return this.#matcher.maxLength;
  }

  /** Bytes pushed so far. */
  get offset(): number {
    return this.#offset;
  }

  push(chunk: Buffer, onMatch: StreamMatchHandler): void {
    if (chunk.length === 0) return;
    const base = this.#offset;
    const report = (index: number, offset: number): void => onMatch(this.#tags[index]!, offset);
    const keep = this.#matcher.window - 1;

    if (this.#carryLength > 0) {
      const head = Math.min(chunk.length, keep);
      const junction = this.#carry;
      chunk.copy(junction, this.#carryLength, 0, head);
      const junctionBase = base - this.#carryLength;
      const view = junction.subarray(0, this.#carryLength + head);
      this.#matcher.scanRange(
        view,
        0,
        this.#carryLength,
        (index, start) => report(index, junctionBase + start),
        (index, start) => this.#pending.push({ index, start: junctionBase + start, matched: view.length - start }),
      );
    }

    this.#advancePending(chunk, base, report);
    this.#matcher.scanRange(
      chunk,
      0,
      chunk.length,
      (index, start) => report(index, base + start),
      (index, start) => this.#pending.push({ index, start: base + start, matched: chunk.length - start }),
    );

    this.#keepTail(chunk, keep);
    this.#offset += chunk.length;
  }

  /**
   * The stream is over: the last window-1 bytes, which no later bytes will follow, are searched
   * now. Call it once per stream (then `reset` to reuse the object).
   */
  end(onMatch: StreamMatchHandler): void {
    const base = this.#offset - this.#carryLength;
    this.#matcher.scan(this.#carry.subarray(0, this.#carryLength), (index, start) => onMatch(this.#tags[index]!, base + start));
    this.#pending = [];
    this.#carryLength = 0;
  }

  /** Forget everything: the next push starts a new stream at offset 0. */
  reset(): void {
    // called per tar entry (a million in a layer): a stream that took nothing costs nothing
    if (this.#offset === 0) return;
    this.#carry.fill(0);
    this.#carryLength = 0;
    this.#offset = 0;
    if (this.#pending.length > 0) this.#pending = [];
  }

  /** Checks pending occurrences against the bytes of `chunk` that follow what they matched. */
  #advancePending(chunk: Buffer, base: number, report: (index: number, offset: number) => void): void {
    if (this.#pending.length === 0) return;
    const still: Pending[] = [];
    const end = base + chunk.length;
    for (const p of this.#pending) {
      const needle = this.#needles[p.index]!;
      const next = p.start + p.matched;
      // Partials found in the junction were already compared up to the junction's end.
      if (next >= end) {
        still.push(p);
        continue;
      }
      const want = Math.min(needle.length - p.matched, end - next);
      const at = next - base;
      if (!equalAt(chunk, at, needle.subarray(p.matched), want)) continue;
      p.matched += want;
      if (p.matched === needle.length) report(p.index, p.start);
      else still.push(p);
    }
    this.#pending = still;
  }

  /** The carry becomes the last window-1 bytes of the stream: starts not examined yet. */
  #keepTail(chunk: Buffer, keep: number): void {
    if (keep === 0) return;
    if (chunk.length >= keep) {
      chunk.copy(this.#carry, 0, chunk.length - keep);
      this.#carryLength = keep;
      return;
    }
    chunk.copy(this.#carry, this.#carryLength);
    const total = this.#carryLength + chunk.length;
    const drop = Math.max(0, total - keep);
    this.#carry.copy(this.#carry, 0, drop, total);
    this.#carryLength = total - drop;
  }
}
