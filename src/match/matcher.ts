import { MAX_WINDOW, WuManber } from "./wu-manber.js";
import { findShort, groupShort, type ShortGroup } from "./short-needles.js";
import { MAX_PREFILTER_NEEDLES, MAX_PREFILTER_PASSES, PREFILTER_MIN_NEEDLE, prefilterAvailable, prefilterPasses, type ShortPrefilter } from "./short-prefilter.js";

/** One byte sequence to find; `tag` is the caller's index into its own table of variants. */
export interface Needle {
  readonly bytes: Buffer;
  readonly tag: number;
}

export interface Matcher {
  /** Length of the longest needle: how much a streaming caller must carry between chunks. */
  readonly maxLength: number;
  /**
   * Calls `onMatch(tag, start, end)` for every occurrence lying wholly inside `haystack`; `end`
   * is given where the match is not simply the needle's length (a wrapped form, variant-matcher.ts).
   */
  scan(haystack: Buffer, onMatch: (tag: number, start: number, end?: number) => void): void;
}

export type MatchHandler = (tag: number, start: number) => void;

/** What `compileMatcher` really returns: the range and partial-match calls streaming needs. */
export interface RangeMatcher extends Matcher {
  /** Length of the shortest needle (0 when there are none). */
  readonly minLength: number;
  /**
   * How many bytes a start position needs after it before `scanRange` examines it: a streaming
   * caller carries the last window-1 bytes into the next chunk. Needles shorter than the window
   * fit inside it; longer ones are seen by their first `window` bytes.
   */
  readonly window: number;
  /**
   * Occurrences starting at s in [from, to), examining only starts with s + window <= length
   * (the rest cannot be judged yet; streaming callers carry them over). An occurrence that runs
   * past the end with every available byte equal goes to `onPartial` instead. Calls come in no
   * particular order.
   */
  scanRange(haystack: Buffer, from: number, to: number, onMatch: MatchHandler, onPartial?: MatchHandler): void;
  /** The length of the longest suffix of `haystack` that is a proper prefix of some needle. */
  pendingTail(haystack: Buffer): number;
}

/** Needles shorter than this go through Buffer.indexOf; Wu-Manber needs room to jump. */
const LONG_NEEDLE = 8;
/**
 * Relative costs per byte of input (bench/matcher.bench.mjs, 2 cores, 369 needles): a
 * Wu-Manber pass with window w costs about WM_COST/(w-2), whatever the number of needles; a
 * native Buffer.indexOf pass for a needle of length n about INDEXOF_COST/n. So one pass over
 * all needles beats tiers by length (each tier is a pass of its own), and the few shortest
 * needles go to indexOf only when that widens the window enough to pay for their passes.
 */
const WM_COST = 620;
const INDEXOF_COST = 300;
const MAX_INDEXOF = 4;

/** How many of the shortest needles (sorted by length) to search with indexOf. */
function indexOfCount(sorted: readonly Needle[]): number {
  let best = 0;
  let bestCost = Infinity;
  let spent = 0;
  for (let k = 0; k <= Math.min(MAX_INDEXOF, sorted.length); k++) {
    const moved = k > 0 ? sorted[k - 1]!.bytes.length : 0;
    // Streaming callers carry window-1 bytes: an indexOf needle must fit in the window, and
    // that window must stay short (the longest needles are found as Wu-Manber partials).
    if (moved > MAX_WINDOW) break;
    spent += moved > 0 ? INDEXOF_COST / moved : 0;
    const window = k < sorted.length ? Math.min(MAX_WINDOW, sorted[k]!.bytes.length) : 0;
    const cost = spent + (window > 0 ? WM_COST / (window - 2) : 0);
    if (cost < bestCost) {
      bestCost = cost;
      best = k;
    }
  }
  return best;
}

/** With the SIMD prefilter, needles shorter than this go to it and the Wu-Manber window stays this wide. */
const PREFILTER_WINDOW = 16;

/** How the needles are split between the passes. */
interface Plan {
  readonly wm: WuManber | undefined;
  readonly tags: readonly number[];
  /** indexOf groups, for every range */
  readonly groups: readonly ShortGroup[];
  /** the SIMD prefilter's passes for the short needles */
  readonly prefilters: readonly ShortPrefilter[];
}

/**
 * Short needles under 8 bytes each cost an indexOf pass and cap the Wu-Manber window: when the
 * SIMD prefilter runs here, every needle of 3 to 15 bytes goes to it instead, in one pass per 64
 * of them; when there are more than its passes take, only those under 8 bytes (the rules'
 * keywords) do, and the Wu-Manber window is what the others allow.
 */
function planPasses(list: readonly Needle[]): Plan {
  const cap = MAX_PREFILTER_NEEDLES * MAX_PREFILTER_PASSES;
  const prefiltered = list.filter((n) => n.bytes.length >= PREFILTER_MIN_NEEDLE && n.bytes.length < PREFILTER_WINDOW);
  const under = prefiltered.filter((n) => n.bytes.length < LONG_NEEDLE);
  if (under.length > 0 && under.length <= cap && prefilterAvailable()) {
    // few needles in all (the rules' keywords alone): every one goes to the prefilter, no Wu-Manber pass
    const all = list.filter((n) => n.bytes.length >= PREFILTER_MIN_NEEDLE);
    const few = all.length <= MAX_PREFILTER_NEEDLES;
    const kernel = few ? all : prefiltered.length <= cap ? prefiltered : under;
    const floor = kernel === under ? LONG_NEEDLE : PREFILTER_WINDOW;
    const rest = few ? [] : list.filter((n) => n.bytes.length >= floor);
    const shortest = Math.min(MAX_WINDOW, ...rest.map((n) => n.bytes.length));
    return {
      wm: rest.length === 0 ? undefined : new WuManber(rest.map((n) => n.bytes), shortest),
      tags: rest.map((n) => n.tag),
      groups: groupShort(list.filter((n) => n.bytes.length < PREFILTER_MIN_NEEDLE)),
      prefilters: prefilterPasses(kernel),
    };
  }
  const long = list.filter((n) => n.bytes.length >= LONG_NEEDLE);
  const short = list.filter((n) => n.bytes.length < LONG_NEEDLE);
  const sorted = [...long].sort((x, y) => x.bytes.length - y.bytes.length);
  const moved = indexOfCount(sorted);
  short.push(...sorted.slice(0, moved));
  const rest = sorted.slice(moved);
  // One Wu-Manber pass for all the other needles, at the window the shortest of them allows.
  const wm = rest.length === 0 ? undefined : new WuManber(rest.map((n) => n.bytes), Math.min(MAX_WINDOW, rest[0]!.bytes.length));
  return { wm, tags: rest.map((n) => n.tag), groups: groupShort(short), prefilters: [] };
}

/**
 * A multi-pattern matcher: one Wu-Manber pass for needles of 8 bytes and more (see
 * wu-manber.ts and bench/matcher.bench.mjs), Buffer.indexOf for the few shorter ones (the
 * masker's short raw values) and for the shortest long ones when that pays, or the SIMD
 * prefilter for the short ones where it runs (short-prefilter.ts). Matches are exact: every
 * byte of a needle is compared.
 */
export function compileMatcher(needles: readonly Needle[]): RangeMatcher {
  const list = needles.filter((n) => n.bytes.length > 0);
  const lengths = list.map((n) => n.bytes.length);
  const maxLength = lengths.length > 0 ? Math.max(...lengths) : 0;
  const minLength = lengths.length > 0 ? Math.min(...lengths) : 0;
  const { wm, tags, groups, prefilters } = planPasses(list);
  const window = wm !== undefined ? wm.window : Math.max(1, maxLength);
  const shortPass = (hay: Buffer, from: number, limit: number, onMatch: MatchHandler): void => {
    for (const group of groups) findShort(hay, group, from, limit, onMatch);
    for (const prefilter of prefilters) prefilter.find(hay, from, limit, onMatch);
  };

  // Proper prefixes shorter than the window, for pendingTail; longer ones are found as partials.
  // Built on first use: only the masker asks, and every scan and build compiles needles.
  let prefixes: Set<string>[] | undefined;
  // The first one or two bytes of a suffix rule out most lengths before any string is made.
  const firstByte = new Uint8Array(256);
  const firstPair = new Uint8Array(65536);
  const prefixSets = (): Set<string>[] => {
    const sets: Set<string>[] = [];
    for (let length = 1; length < window; length++) {
      const set = new Set<string>();
      for (const n of list) if (n.bytes.length > length) set.add(n.bytes.toString("latin1", 0, length));
      sets[length] = set;
    }
    for (const n of list) {
      if (n.bytes.length > 1) firstByte[n.bytes[0]!] = 1;
      if (n.bytes.length > 2) firstPair[(n.bytes[0]! << 8) | n.bytes[1]!] = 1;
    }
    return sets;
  };

  const scanRange = (hay: Buffer, from: number, to: number, onMatch: MatchHandler, onPartial?: MatchHandler): void => {
    const limit = Math.min(to, hay.length - window + 1);
    if (limit <= from) return;
    wm?.scan(
      hay,
      from,
      limit,
      (index, start) => onMatch(tags[index]!, start),
      onPartial && ((index, start) => onPartial(tags[index]!, start)),
    );
    shortPass(hay, from, limit, onMatch);
  };

  return {
    maxLength,
    minLength,
    window,
    scan(hay, onMatch) {
      wm?.scan(hay, 0, hay.length, (index, start) => onMatch(tags[index]!, start));
      shortPass(hay, 0, hay.length, onMatch);
    },
    scanRange,
    pendingTail(hay) {
      let best = 0;
      if (wm !== undefined && maxLength > window) {
        const from = Math.max(0, hay.length - maxLength + 1);
        scanRange(hay, from, hay.length, () => undefined, (_tag, start) => {
          best = Math.max(best, hay.length - start);
        });
      }
      if (best > 0) return best;
      prefixes ??= prefixSets();
      const n = hay.length;
      for (let length = Math.min(window - 1, n); length > 0; length--) {
        const at = n - length;
        const possible = length === 1 ? firstByte[hay[at]!] : firstPair[(hay[at]! << 8) | hay[at + 1]!];
        if (possible === 1 && prefixes[length]!.has(hay.toString("latin1", at))) return length;
      }
      return 0;
    },
  };
}
