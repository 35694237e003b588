import { poolOf } from "../bytes/buffer-pool.js";
import { compileMatcher, type Needle, type RangeMatcher } from "./matcher.js";
import { StreamSearch, type StreamMatchHandler } from "./stream-search.js";
import type { Variant } from "./variant.js";
import { FRAGMENT_BYTES, MAX_LOOKBEHIND, fragmentStarts, matchAfter, matchBefore, wrappedForms, type ByteAt, type Forward } from "./wrapped.js";

const EMPTY = Buffer.alloc(0);

/** What the variants of some secrets compile to; the scan's needles and the masker share it. */
export interface VariantMatcher {
  /** The variants given, then their wrapped forms: a reported tag indexes this list. */
  readonly variants: readonly Variant[];
  readonly lengths: readonly number[];
  /**
   * `scan` reports variants and confirmed wrapped forms, with the end of what matched (a
   * wrapped form spans its line breaks). `scanRange` and `pendingTail` see the raw needles,
   * fragments included: only StreamSearch and the masker's hold-back use them.
   */
  readonly matcher: RangeMatcher;
  /** A searcher for one stream at a time, sharing the compiled needles. */
  streamSearch(): StreamSearch;
  /**
   * The tag of the first extra needle (pattern rules' keywords): tags from here on are
   * `keywordBase + index into extra`, reported as found, with no end and nothing confirmed.
   */
  readonly keywordBase: number;
}

interface Fragment {
  /** the wrapped form's tag (its index in `variants`) */
  readonly form: number;
  /** where in the form the fragment starts */
  readonly pos: number;
}

/** Bytes before each chunk kept for confirming a fragment near its start (see MAX_LOOKBEHIND). */
const HISTORY_BYTES = MAX_LOOKBEHIND + FRAGMENT_BYTES;

/**
 * Compiles `given` (the caller's variants, filtered to its minimum length) with one Wu-Manber
 * pass over their bytes and the fragments of their wrapped forms (wrapped.ts).
 */
export function compileVariants(given: readonly Variant[], extra: readonly Buffer[] = []): VariantMatcher {
  const forms = wrappedForms(given);
  const variants = [...given, ...forms];
  const lengths = variants.map((v) => v.bytes.length);
  // Needle index = tag; wrapped forms are no needles themselves (empty), only their fragments.
  const needles: Needle[] = variants.map((v, tag) => ({ bytes: tag < given.length ? v.bytes : Buffer.alloc(0), tag }));
  // one needle per distinct fragment; the forms sharing it (base64 and base64url where neither
  // `+/` nor `-_` occurs in it, a form periodic in itself) are each confirmed on its hit
  const fragments = new Map<number, Fragment[]>();
  const byBytes = new Map<string, number>();
  forms.forEach((form, k) => {
    const tag = given.length + k;
    for (const pos of fragmentStarts(form.bytes.length)) {
      const bytes = form.bytes.subarray(pos, pos + FRAGMENT_BYTES);
      const key = bytes.toString("latin1");
      const known = byBytes.get(key);
      if (known !== undefined) {
        fragments.get(known)!.push({ form: tag, pos });
        continue;
      }
      byBytes.set(key, needles.length);
      fragments.set(needles.length, [{ form: tag, pos }]);
      needles.push({ bytes, tag: needles.length });
    }
  });
  // extra needles (rule keywords) after everything else: one pass finds them with the values
  const keywordBase = needles.length;
  for (const bytes of extra) needles.push({ bytes, tag: needles.length });
  const inner = compileMatcher(needles);
  if (fragments.size === 0) {
    return { variants, lengths, matcher: inner, streamSearch: () => new StreamSearch(needles, inner), keywordBase };
  }

  /** Confirms a fragment hit inside one whole buffer; `found` gets the form's span. */
  const confirm = (at: ByteAt, hit: number, fragment: Fragment, found: (f: Forward) => void): void => {
    const form = variants[fragment.form]!.bytes;
    const before = matchBefore(at, hit, form, fragment.pos);
    if (before === undefined) return;
    const f: Forward = { form: fragment.form, start: before.start, next: fragment.pos + FRAGMENT_BYTES, offset: hit + FRAGMENT_BYTES, gap: 0, escape: 0, spaced: before.spaced };
    if (matchAfter(at, f, form) === "done") found(f);
  };

  const matcher: RangeMatcher = {
    ...inner,
    scan(hay, onMatch) {
      // made at the first fragment hit: most scans (a path, a small file) have none
      let at: ByteAt | null = null;
      let reported: Set<string> | null = null;
      inner.scan(hay, (tag, start) => {
        if (tag >= keywordBase) {
          onMatch(tag, start);
          return;
        }
        const shared = fragments.get(tag);
        if (shared === undefined) {
          onMatch(tag, start, start + lengths[tag]!);
          return;
        }
        at ??= (o) => (o >= 0 && o < hay.length ? hay[o]! : -1);
        const seen = (reported ??= new Set<string>());
        for (const fragment of shared) {
          confirm(at, start, fragment, (f) => {
            // contiguous occurrences are the form's own variant's finding
            const key = `${f.form}:${f.start}`;
            if (!f.spaced || seen.has(key)) return;
            seen.add(key);
            onMatch(f.form, f.start, f.offset);
          });
        }
      });
    },
  };

  return {
    variants,
    lengths,
    matcher,
    streamSearch: () => new WrappedStreamSearch(needles, inner, fragments, variants),
    keywordBase,
  };
}

/**
 * A StreamSearch that confirms fragment hits across chunks: it keeps the last HISTORY_BYTES of
 * the stream for reading backwards, and carries unfinished forward matches into the next chunk.
 */
class WrappedStreamSearch extends StreamSearch {
  readonly #fragments: ReadonlyMap<number, readonly Fragment[]>;
  readonly #variants: readonly Variant[];
  // a ring taken from the pool when the first chunk is remembered, handed back at the end
  #history: Buffer | null = null;
  #historyLength = 0;
  #pending: Forward[] = [];
  /** form:start of each occurrence confirmed or under way in this stream */
  readonly #seen = new Set<string>();

  constructor(needles: readonly Needle[], compiled: RangeMatcher, fragments: ReadonlyMap<number, readonly Fragment[]>, variants: readonly Variant[]) {
    super(needles, compiled);
    this.#fragments = fragments;
    this.#variants = variants;
  }

  override push(chunk: Buffer, onMatch: StreamMatchHandler): void {
    if (chunk.length === 0) return;
    const base = this.offset;
    const at = this.#reader(base, chunk);
    const found = (f: Forward): void => {
      if (f.spaced) onMatch(f.form, f.start);
    };
    if (this.#pending.length > 0) {
      const still: Forward[] = [];
      for (const f of this.#pending) {
        const state = matchAfter(at, f, this.#variants[f.form]!.bytes);
        if (state === "done") found(f);
        else if (state === "more") still.push(f);
      }
      this.#pending = still;
    }
    super.push(chunk, (tag, offset) => this.#hit(at, tag, offset, onMatch, found, true));
    this.#remember(chunk);
  }

  override end(onMatch: StreamMatchHandler): void {
    const at = this.#reader(this.offset, EMPTY);
    const found = (f: Forward): void => {
      if (f.spaced) onMatch(f.form, f.start);
    };
    super.end((tag, offset) => this.#hit(at, tag, offset, onMatch, found, false));
    if (this.#pending.length > 0) this.#pending = [];
    if (this.#history !== null) poolOf(HISTORY_BYTES).give(this.#history);
    this.#history = null;
    this.#historyLength = 0;
  }

  override reset(): void {
    // the ring holds offsets 0.. at their own places until it has gone round once
    this.#history?.fill(0, 0, Math.min(HISTORY_BYTES, this.offset));
    super.reset();
    this.#historyLength = 0;
    // called per tar entry: a fresh array for each of a million empty files was 45 MB of garbage
    // that outlived the young generation (docs/performance.md)
    if (this.#pending.length > 0) this.#pending = [];
    if (this.#seen.size > 0) this.#seen.clear();
  }

  #hit(at: ByteAt, tag: number, offset: number, onMatch: StreamMatchHandler, found: (f: Forward) => void, more: boolean): void {
    const shared = this.#fragments.get(tag);
    if (shared === undefined) {
      onMatch(tag, offset);
      return;
    }
    for (const fragment of shared) this.#confirm(at, fragment, offset, found, more);
  }

  #confirm(at: ByteAt, fragment: Fragment, offset: number, found: (f: Forward) => void, more: boolean): void {
    const form = this.#variants[fragment.form]!.bytes;
    const before = matchBefore(at, offset, form, fragment.pos);
    if (before === undefined) return;
    const key = `${fragment.form}:${before.start}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    const f: Forward = { form: fragment.form, start: before.start, next: fragment.pos + FRAGMENT_BYTES, offset: offset + FRAGMENT_BYTES, gap: 0, escape: 0, spaced: before.spaced };
    const state = matchAfter(at, f, form);
    if (state === "done") found(f);
    else if (state === "more" && more) this.#pending.push(f);
  }

  /** Bytes at absolute offsets: `chunk` from `base` on, the history (a ring) before it. */
  #reader(base: number, chunk: Buffer): ByteAt {
    const history = this.#history;
    const from = base - this.#historyLength;
    return (o) => {
      if (o >= base) return o - base < chunk.length ? chunk[o - base]! : -1;
      return o >= from && history !== null ? history[o % HISTORY_BYTES]! : -1;
    };
  }

  /** Writes the chunk's last bytes into the ring at their absolute offsets (mod its size): no shifting. */
  #remember(chunk: Buffer): void {
    const history = (this.#history ??= poolOf(HISTORY_BYTES).take());
    const end = this.offset;
    const n = Math.min(chunk.length, HISTORY_BYTES);
    let at = (end - n) % HISTORY_BYTES;
    let from = chunk.length - n;
    while (from < chunk.length) {
      const count = Math.min(chunk.length - from, HISTORY_BYTES - at);
      chunk.copy(history, at, from, from + count);
      from += count;
      at = 0;
    }
    this.#historyLength = Math.min(HISTORY_BYTES, this.#historyLength + chunk.length);
  }
}
