import { MAX_WINDOW, WuManber } from "./wu-manber.js";

/** One byte sequence to find; `tag` is the caller's index into its own table of variants. */
export interface Needle {
  readonly bytes: Buffer;
  readonly tag: number;
}

export interface Matcher {
  /** Length of the longest needle: how much a streaming caller must carry between chunks. */
  readonly maxLength: number;
  /** Calls `onMatch(tag, start)` for every occurrence lying wholly inside `haystack`. */
  scan(haystack: Buffer, onMatch: (tag: number, start: number) => void): void;
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
/** Tiers this small are searched with Buffer.indexOf, one native pass per needle. */
const FEW_NEEDLES = 2;
const TIER_BOUNDS: readonly (readonly [number, number])[] = [
  [LONG_NEEDLE, 16],
  [16, 32],
  [32, Infinity],
];

/**
 * A multi-pattern matcher: Wu-Manber for needles of 8 bytes and more (see wu-manber.ts and
 * bench/matcher.bench.mjs), Buffer.indexOf for the few shorter ones (the masker's short raw
 * values). Matches are exact: every byte of a needle is compared.
 */
export function compileMatcher(needles: readonly Needle[]): RangeMatcher {
  const list = needles.filter((n) => n.bytes.length > 0);
  const long = list.filter((n) => n.bytes.length >= LONG_NEEDLE);
  const short = list.filter((n) => n.bytes.length < LONG_NEEDLE);
  const lengths = list.map((n) => n.bytes.length);
  const maxLength = lengths.length > 0 ? Math.max(...lengths) : 0;
  const minLength = lengths.length > 0 ? Math.min(...lengths) : 0;
  // Needles grouped by length, each group with the widest window its shortest needle allows:
  // one 8-byte secret must not cap the jumps taken for every 40-byte token.
  const grouped = TIER_BOUNDS.map(([low, high]) => long.filter((n) => n.bytes.length >= low && n.bytes.length < high));
  // A Wu-Manber pass over a narrow window jumps little; for a tier of one or two needles the
  // native Buffer.indexOf is faster (bench/matcher.bench.mjs: one 9-byte needle cost two thirds
  // of the matching time). A tier moves only when its needles fit in the window that remains:
  // streaming callers carry window-1 bytes and find longer needles as Wu-Manber partials.
  const windowOf = (tier: readonly Needle[]): number => Math.min(MAX_WINDOW, ...tier.map((n) => n.bytes.length));
  const moved = grouped.map((tier, t) => t < grouped.length - 1 && tier.length > 0 && tier.length <= FEW_NEEDLES);
  const remainingWindow = (): number => {
    const kept = grouped.filter((tier, t) => tier.length > 0 && !moved[t]);
    return kept.length > 0 ? Math.max(...kept.map(windowOf)) : maxLength;
  };
  for (let t = grouped.length - 1; t >= 0; t--) {
    if (moved[t] && Math.max(...grouped[t]!.map((n) => n.bytes.length)) > remainingWindow()) moved[t] = false;
  }
  grouped.forEach((tier, t) => {
    if (moved[t]) short.push(...tier);
  });
  const tiers = grouped
    .filter((tier, t) => tier.length > 0 && !moved[t])
    .map((tier) => {
      const window = Math.min(MAX_WINDOW, ...tier.map((n) => n.bytes.length));
      return { engine: new WuManber(tier.map((n) => n.bytes), window), tags: tier.map((n) => n.tag) };
    });
  const window = tiers.length > 0 ? Math.max(...tiers.map((t) => t.engine.window)) : Math.max(1, maxLength);

  // Proper prefixes shorter than the window, for pendingTail; longer ones are found as partials.
  const prefixes: Set<string>[] = [];
  for (let length = 1; length < window; length++) {
    const set = new Set<string>();
    for (const n of list) if (n.bytes.length > length) set.add(n.bytes.toString("latin1", 0, length));
    prefixes[length] = set;
  }
  // The first one or two bytes of a suffix rule out most lengths before any string is made.
  const firstByte = new Uint8Array(256);
  const firstPair = new Uint8Array(65536);
  for (const n of list) {
    if (n.bytes.length > 1) firstByte[n.bytes[0]!] = 1;
    if (n.bytes.length > 2) firstPair[(n.bytes[0]! << 8) | n.bytes[1]!] = 1;
  }

  const scanRange = (hay: Buffer, from: number, to: number, onMatch: MatchHandler, onPartial?: MatchHandler): void => {
    const limit = Math.min(to, hay.length - window + 1);
    if (limit <= from) return;
    for (const { engine, tags } of tiers) {
      engine.scan(
        hay,
        from,
        limit,
        (index, start) => onMatch(tags[index]!, start),
        onPartial && ((index, start) => onPartial(tags[index]!, start)),
      );
    }
    for (const n of short) {
      for (let at = hay.indexOf(n.bytes, from); at !== -1 && at < limit; at = hay.indexOf(n.bytes, at + 1)) {
        onMatch(n.tag, at);
      }
    }
  };

  return {
    maxLength,
    minLength,
    window,
    scan(hay, onMatch) {
      for (const { engine, tags } of tiers) engine.scan(hay, 0, hay.length, (index, start) => onMatch(tags[index]!, start));
      for (const n of short) {
        for (let at = hay.indexOf(n.bytes); at !== -1; at = hay.indexOf(n.bytes, at + 1)) onMatch(n.tag, at);
      }
    },
    scanRange,
    pendingTail(hay) {
      let best = 0;
      if (tiers.length > 0 && maxLength > window) {
        const from = Math.max(0, hay.length - maxLength + 1);
        scanRange(hay, from, hay.length, () => undefined, (_tag, start) => {
          best = Math.max(best, hay.length - start);
        });
      }
      if (best > 0) return best;
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
