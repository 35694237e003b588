import { poolOf } from "../bytes/buffer-pool.js";
import type { StreamMatchHandler, StreamSearcher } from "./stream-search.js";

const EMPTY = Buffer.alloc(0);

/**
 * A pattern rule as the matcher sees it: keywords found in the same pass as the known values,
 * and a check run only on the bytes around a keyword hit (rules/ compiles rules to this).
 */
export interface WindowRule {
  readonly keywords: readonly Buffer[];
  /** How far before a keyword's first byte, and after its last, a match may reach. */
  readonly before: number;
  readonly after: number;
  /**
   * Bytes every match's window holds (a URL's `@`): a hit whose own window lacks them opens
   * none. Most `://` hits in an image are links without a password: 98 % of the bench image's.
   */
  readonly requires?: Buffer | undefined;
  /** The keyword is `://` and a match needs `user:password@` after it (RuleSpec.userinfo). */
  readonly userinfo?: boolean | undefined;
  /**
   * UTF-16LE forms of some keywords (a Windows file): a hit opens a window of twice the width,
   * narrowed to 8-bit text (the low byte of each character) before `find` runs on it.
   */
  readonly wideKeywords?: readonly Buffer[] | undefined;
  /** Calls `found(start, end)` for each secret inside `window` (offsets into it). */
  find(window: Buffer, found: (start: number, end: number) => void): void;
  /** A rule with no keywords, run on the whole of files whose path passes this test (RuleSpec.wholeFile). */
  readonly wholeFile?: ((path: string) => boolean) | undefined;
  /** The file names its `wholeFile` test can pass (`NAME*`: a prefix); absent: any name. */
  readonly fileNames?: readonly string[] | undefined;
  /** The rule also runs on the decoded base64 runs of YAML and JSON files (RuleSpec.base64Files). */
  readonly base64Files?: true | undefined;
  /** A rule with no keywords, run on the image's settings as `NAME=value` lines (RuleSpec.settings). */
  readonly settings?: true | undefined;
}

/** Receives a confirmed match: its bytes are borrowed (valid during the call); returns the tag to report, or undefined to drop it. */
export type RuleMatchSink = (rule: number, secret: Buffer, offset: number) => number | undefined;

/** Keywords longer than this are cut: a window needs history to hold them. */
export const MAX_KEYWORD_BYTES = 64;
/** A window never grows past this, however many hits merge into it (a keyword repeated over a whole layer). */
export const MAX_MERGED_WINDOW = 64 * 1024;

/** A wide window per side at most: a UTF-16 window costs the stream no more history than an 8-bit one. */
const MAX_WIDE_SIDE = 16 * 1024;

/**
 * What a keyword hit opens a window for: a rule, on 8-bit text or on UTF-16LE text narrowed
 * to 8 bits (`wide`), with that text's window sides and required bytes. Windows merge per lane.
 */
interface Lane {
  readonly rule: number;
  readonly wide: boolean;
  readonly before: number;
  readonly after: number;
  readonly requires: Buffer | undefined;
  readonly userinfo: boolean;
}

/** The keyword needles of some rules: distinct byte strings, each with the lanes that share it. */
export interface KeywordPlan {
  readonly rules: readonly WindowRule[];
  readonly lanes: readonly Lane[];
  readonly keywords: readonly Buffer[];
  readonly lanesOf: readonly (readonly number[])[];
  /** history a stream keeps: the widest window a hit can need */
  readonly history: number;
}

export function planKeywords(rules: readonly WindowRule[]): KeywordPlan {
  const index = new Map<string, number>();
  const keywords: Buffer[] = [];
  const lanesOf: number[][] = [];
  const lanes: Lane[] = [];
  let history = 0;
  const add = (keyword: Buffer, l: number): void => {
    const key = keyword.toString("latin1");
    let k = index.get(key);
    if (k === undefined) {
      k = keywords.length;
      index.set(key, k);
      keywords.push(keyword);
      lanesOf.push([]);
    }
    if (!lanesOf[k]!.includes(l)) lanesOf[k]!.push(l);
    history = Math.max(history, lanes[l]!.before + keyword.length + lanes[l]!.after);
  };
  rules.forEach((rule, r) => {
    const narrow = lanes.push({ rule: r, wide: false, before: rule.before, after: rule.after, requires: rule.requires, userinfo: rule.userinfo === true }) - 1;
    for (const keyword of rule.keywords) add(keyword, narrow);
    if (rule.wideKeywords === undefined || rule.wideKeywords.length === 0) return;
    const requires = rule.requires === undefined ? undefined : Buffer.from(rule.requires.toString("latin1"), "utf16le");
    const wide = lanes.push({ rule: r, wide: true, before: Math.min(2 * rule.before, MAX_WIDE_SIDE), after: Math.min(2 * rule.after, MAX_WIDE_SIDE), requires, userinfo: false }) - 1;
    for (const keyword of rule.wideKeywords) add(keyword, wide);
  });
  return { rules, lanes, keywords, lanesOf, history: history + 64 };
}

/**
 * Whether a hit's window [start, end) of `hay` (stream offsets from `base`) can hold a match of
 * `lane`: false only when the window lies inside `hay` and lacks the bytes the lane requires.
 */
function mayMatch(lane: Lane, hay: Buffer | null, base: number, start: number, end: number, afterKeyword: number): boolean {
  if (lane.userinfo && hay !== null && !mayHaveUserinfo(hay, afterKeyword - base)) return false;
  const requires = lane.requires;
  if (requires === undefined || hay === null || start < base || end > base + hay.length) return true;
  return hay.subarray(start - base, end - base).indexOf(requires) !== -1;
}

/** A URL's user (64 bytes at most), one `:`, its password (128 at most), then `@`. */
const USERINFO_BYTES = 64 + 1 + 128 + 1;

/**
 * Whether `user:password@` may follow `://` at `from` in `hay`: true when the bytes there run
 * out before it is told. What the url-password rule's regex requires, checked before a window is
 * opened: a package registry's metadata holds a `://` link every few bytes, with an `@` near.
 */
function mayHaveUserinfo(hay: Buffer, from: number): boolean {
  if (from < 0) return true;
  const to = Math.min(hay.length, from + USERINFO_BYTES);
  let colons = 0;
  for (let i = from; i < to; i++) {
    const c = hay[i]!;
    if (c === 0x3a) {
      if (++colons > 1) return false;
    } else if (c === 0x40) return colons === 1;
    // blanks (the regex's \s), / " ' < > `
    else if (c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0x2f || c === 0x22 || c === 0x27 || c === 0x3c || c === 0x3e || c === 0x60) return false;
  }
  return to - from < USERINFO_BYTES;
}

/** Per stream: limits how many window bytes its rules may examine (bounded time on hostile input). */
export interface WindowBudget {
  /** Takes `bytes` from the budget; false once it is spent (the window is not examined). */
  take(bytes: number): boolean;
}

interface OpenWindow {
  /** index into the plan's lanes */
  readonly lane: number;
  start: number;
  end: number;
}

/**
 * Whole buffers (a path, a config string, a zip member): every keyword hit's window, merged
 * per rule, examined at once.
 */
export function findInBuffer(plan: KeywordPlan, hay: Buffer, hits: readonly (readonly [number, number])[], budget: WindowBudget, sink: RuleMatchSink, onMatch: (tag: number, start: number, end: number) => void): void {
  const windows = mergeWindows(plan, hits, 0, hay.length, hay);
  const seen = new Set<string>();
  for (const w of windows) {
    if (!budget.take(w.end - w.start)) return;
    examine(plan, w, hay.subarray(w.start, w.end), w.start, seen, sink, (tag, start, end) => onMatch(tag, start, end));
  }
}

/** Windows of the hits (keyword index, offset), clipped to [min, max), merged per rule where they overlap. */
function mergeWindows(plan: KeywordPlan, hits: readonly (readonly [number, number])[], min: number, max: number, hay: Buffer): OpenWindow[] {
  const open = new Map<number, OpenWindow>();
  const out: OpenWindow[] = [];
  const sorted = [...hits].sort((a, b) => a[1] - b[1]);
  for (const [k, at] of sorted) {
    for (const r of plan.lanesOf[k]!) {
      const lane = plan.lanes[r]!;
      const start = Math.max(min, at - lane.before);
      const end = Math.min(max, at + plan.keywords[k]!.length + lane.after);
      if (!mayMatch(lane, hay, 0, start, end, at + plan.keywords[k]!.length)) continue;
      const current = open.get(r);
      if (current !== undefined && start <= current.end && end - current.start <= MAX_MERGED_WINDOW) {
        current.end = Math.max(current.end, end);
        continue;
      }
      const next = { lane: r, start, end };
      open.set(r, next);
      out.push(next);
    }
  }
  return out;
}

function examine(plan: KeywordPlan, w: OpenWindow, bytes: Buffer, base: number, seen: Set<string>, sink: RuleMatchSink, report: (tag: number, start: number, end: number) => void): void {
  const lane = plan.lanes[w.lane]!;
  // a wide window is searched narrowed: offset i of the text is offset from + 2i of the bytes
  const { text, from } = lane.wide ? narrowed(bytes) : { text: bytes, from: 0 };
  const step = lane.wide ? 2 : 1;
  plan.rules[lane.rule]!.find(text, (start, end) => {
    const at = base + from + step * start;
    const key = `${lane.rule}:${at}`;
    if (seen.has(key)) return;
    seen.add(key);
    const tag = sink(lane.rule, text.subarray(start, end), at);
    if (tag !== undefined) report(tag, at, base + from + step * end);
  });
  if (lane.wide) text.fill(0);
}

/**
 * UTF-16LE text as 8-bit text: the low byte of each character from `from` (the alignment whose
 * odd bytes are most often zero), a character outside Latin-1 as a zero byte (it ends any
 * token). Offset i of `text` is offset `from + 2 * i` of `bytes`.
 */
export function narrowed(bytes: Buffer): { text: Buffer; from: number } {
  let zeros = 0;
  for (let i = 1; i < bytes.length; i += 2) if (bytes[i] === 0) zeros++;
  let shifted = 0;
  for (let i = 2; i < bytes.length; i += 2) if (bytes[i] === 0) shifted++;
  const from = shifted > zeros ? 1 : 0;
  const text = Buffer.allocUnsafe((bytes.length - from) >> 1);
  for (let i = 0, at = from; i < text.length; i++, at += 2) text[i] = bytes[at + 1] === 0 ? bytes[at]! : 0;
  return { text, from };
}

/**
 * A stream searcher that also runs rules: keyword hits from the inner searcher (tags from
 * `keywordBase` on) open windows; a window is examined once the stream has passed its end,
 * from the bytes of the current chunk and a history of the ones before it, so a match is found
 * wherever the chunk boundaries fall. Everything else passes through unchanged.
 */
export class KeywordStream implements StreamSearcher {
  readonly #inner: StreamSearcher;
  readonly #plan: KeywordPlan;
  readonly #keywordBase: number;
  readonly #sink: RuleMatchSink;
  readonly #budget: WindowBudget;
  // taken from the pool when the first chunk is remembered, handed back at the end
  #history: Buffer | null = null;
  #historyLength = 0;
  #open = new Map<number, OpenWindow>();
  #due: OpenWindow[] = [];
  // the chunk being pushed and its stream offset, while its hits come in
  #chunk: Buffer | null = null;
  #chunkBase = 0;
  readonly #seen = new Set<string>();
  #spent = false;
  // keyword hits of the chunk being pushed (keyword, offset): the inner searcher reports them in
  // no set order (its passes go keyword group by group), windows merge in offset order
  #hits: [number, number][] = [];
  readonly #collect = (k: number, at: number): void => {
    this.#hits.push([k, at]);
  };

  constructor(inner: StreamSearcher, plan: KeywordPlan, keywordBase: number, sink: RuleMatchSink, budget: WindowBudget) {
    this.#inner = inner;
    this.#plan = plan;
    this.#keywordBase = keywordBase;
    this.#sink = sink;
    this.#budget = budget;
  }

  get maxLength(): number {
    return this.#inner.maxLength;
  }

  get offset(): number {
    return this.#inner.offset;
  }

  push(chunk: Buffer, onMatch: StreamMatchHandler): void {
    if (chunk.length === 0) return;
    const base = this.#inner.offset;
    this.#chunk = chunk;
    this.#chunkBase = base;
    this.#inner.push(chunk, (tag, offset) => (tag < this.#keywordBase ? onMatch(tag, offset) : this.#collect(tag - this.#keywordBase, offset)));
    this.#openWindows();
    this.#chunk = null;
    const end = base + chunk.length;
    this.#examineDue(chunk, base, end, onMatch);
    this.#remember(chunk);
  }

  end(onMatch: StreamMatchHandler): void {
    const base = this.#inner.offset;
    this.#inner.end((tag, offset) => (tag < this.#keywordBase ? onMatch(tag, offset) : this.#collect(tag - this.#keywordBase, offset)));
    this.#openWindows();
    for (const w of this.#open.values()) {
      w.end = Math.min(w.end, base);
      this.#due.push(w);
    }
    this.#open.clear();
    this.#examineDue(EMPTY, base, Infinity, onMatch);
    if (this.#history !== null) poolOf(this.#plan.history).give(this.#history);
    this.#history = null;
    this.#historyLength = 0;
  }

  reset(): void {
    this.#inner.reset();
    this.#historyLength = 0;
    // called per tar entry: most entries open no window
    if (this.#open.size > 0) this.#open.clear();
    if (this.#due.length > 0) this.#due = [];
    if (this.#seen.size > 0) this.#seen.clear();
    if (this.#hits.length > 0) this.#hits.length = 0;
    this.#spent = false;
  }

  /** The windows of the hits collected, in offset order (a window merges only with a later hit). */
  #openWindows(): void {
    const hits = this.#hits;
    if (hits.length === 0) return;
    if (hits.length > 1) hits.sort((a, b) => a[1] - b[1]);
    for (const [k, at] of hits) this.#hit(k, at);
    hits.length = 0;
  }

  #hit(k: number, at: number): void {
    for (const r of this.#plan.lanesOf[k]!) {
      const lane = this.#plan.lanes[r]!;
      const start = Math.max(0, at - lane.before);
      const end = at + this.#plan.keywords[k]!.length + lane.after;
      // a window that lies in this chunk and lacks what the rule requires cannot hold a match
      if (!mayMatch(lane, this.#chunk, this.#chunkBase, start, end, at + this.#plan.keywords[k]!.length)) continue;
      const current = this.#open.get(r);
      // (a keyword across the chunk boundary, reported with this chunk, may start before the last one's hits)
      if (current !== undefined && start <= current.end && end >= current.start && Math.max(end, current.end) - Math.min(start, current.start) <= MAX_MERGED_WINDOW) {
        current.start = Math.min(current.start, start);
        current.end = Math.max(current.end, end);
        continue;
      }
      if (current !== undefined) this.#due.push(current);
      this.#open.set(r, { lane: r, start, end });
    }
  }

  /** Examines every window that ends by `end` (the stream's offset after this chunk). */
  #examineDue(chunk: Buffer, base: number, end: number, onMatch: StreamMatchHandler): void {
    const keep = this.#plan.history - 64;
    for (const [r, w] of this.#open) {
      if (w.end <= end) {
        this.#due.push(w);
        this.#open.delete(r);
      } else if (Number.isFinite(end) && w.start < end - keep) {
        // a long merged window: what is here now is examined now, the rest (with an overlap
        // as wide as any match) once it has come, so the history never needs to hold it whole
        this.#due.push({ lane: r, start: w.start, end });
        this.#open.set(r, { lane: r, start: end - keep, end: w.end });
      }
    }
    if (this.#due.length === 0) return;
    const due = this.#due;
    this.#due = [];
    const historyStart = base - this.#historyLength;
    for (const w of due) {
      const start = Math.max(w.start, historyStart);
      const stop = Math.min(w.end, base + chunk.length);
      if (stop <= start) continue;
      if (this.#spent || !this.#budget.take(stop - start)) {
        this.#spent = true;
        continue;
      }
      const bytes =
        start >= base
          ? chunk.subarray(start - base, stop - base)
          : Buffer.concat([this.#history!.subarray(start - historyStart, this.#historyLength), chunk.subarray(0, Math.max(0, stop - base))]);
      examine(this.#plan, w, bytes, start, this.#seen, this.#sink, (tag, at) => onMatch(tag, at));
      if (bytes.buffer !== chunk.buffer) bytes.fill(0);
    }
  }

  /** The history becomes the last bytes of the stream (a window may start that far back). */
  #remember(chunk: Buffer): void {
    const history = (this.#history ??= poolOf(this.#plan.history).take());
    const size = history.length;
    if (chunk.length >= size) {
      chunk.copy(history, 0, chunk.length - size);
      this.#historyLength = size;
      return;
    }
    const keep = Math.min(this.#historyLength, size - chunk.length);
    history.copy(history, 0, this.#historyLength - keep, this.#historyLength);
    chunk.copy(history, keep);
    this.#historyLength = keep + chunk.length;
  }
}
