import { WholeFileRules } from "../../match/whole-file-rules.js";
import { availableParallelism } from "node:os";
import { said } from "../../redact/own-words.js";
import type { ResolvedSecret } from "../../secrets/secret.js";
import type { Variant } from "../../match/variant.js";
import type { RangeMatcher } from "../../match/matcher.js";
import type { StreamSearcher } from "../../match/stream-search.js";
import { compileVariants } from "../../match/variant-matcher.js";
import { findInBuffer, KeywordStream, planKeywords, type RuleMatchSink } from "../../match/keyword-windows.js";
import { variantsOf, wipeVariants, withoutBlanks } from "../../match/variants.js";
import type { CompiledRule } from "../../rules/compile-rules.js";
import { previewOf } from "./rule-finding.js";
import type { ThreadRuleSet } from "../layer/digest-protocol.js";
import { RULES_STOPPED_TAG, RuleLimits } from "./rule-limits.js";

/** Shorter values match by chance in any large image; they are skipped with a warning. */
export const MIN_NEEDLE_BYTES = 8;
/** Tags of rule matches start here (far above any variant or keyword tag). */
export const RULE_TAG_BASE = 1 << 30;
export { MAX_RULE_MATCHES, RULE_WINDOW_BUDGET } from "./rule-limits.js";

/** A pattern rule's match, as findings need it: never the value, only a preview. */
export interface RuleMatch {
  readonly rule: CompiledRule;
  /** first and last 2 characters at most */
  readonly preview: string;
  /** where the secret starts in the bytes searched (a file's content, a string) */
  readonly offset: number;
  /** it carries its format's checksum: issued, not a placeholder (allow paths do not drop it) */
  readonly verified: boolean;
}

/** Every variant of every secret, indexed by matcher tag, and the pattern rules' matches. */
export interface NeedleTable {
  readonly variants: readonly Variant[];
  readonly lengths: readonly number[];
  /** Tags are indexes into `variants`, or rule matches (`ruleMatch`). */
  readonly matcher: RangeMatcher;
  /** A searcher for one stream at a time (a tar entry's content), sharing the compiled matcher. */
  streamSearch(): StreamSearcher;
  readonly warnings: readonly string[];
  /** Ids of the secrets too short to search: searched nowhere, so the scan is not complete. */
  readonly unsearched: readonly string[];
  /** Pattern rules in this scan. */
  readonly rules: readonly CompiledRule[];
  /** The rule match a tag stands for, if it is one. */
  ruleMatch(tag: number): RuleMatch | undefined;
  /** True when there is anything to look for in file contents. */
  readonly searchesContent: boolean;
  /** The rules as data for the layer thread (undefined without rules): it runs them on layer entries. */
  readonly threadRules: ThreadRuleSet | undefined;
  /** The rules run on whole files of their own names (credential files), wherever the walk meets such a file. */
  readonly wholeFile: WholeFileRules;
  /** Runs the settings rules (RuleSpec.settings) on `NAME=value` lines (setting-lines.ts); each match's tag to `onMatch`. */
  settingSearch(lines: Buffer, onMatch: (tag: number) => void): void;
  /** A searcher for the known values alone, for streams whose rules run on the layer thread. */
  knownStreamSearch(): StreamSearcher;
  /** Judges a rule match found elsewhere (the layer thread) as the searchers' own: its tag, or undefined. */
  readonly ruleSink: RuleMatchSink;
  /** The scan's rule limits, which matches found elsewhere draw on too. */
  readonly ruleLimits: RuleLimits;
  /** The limit that stopped the pattern rules (a search reported RULES_STOPPED_TAG where), or null. */
  rulesStopped(): string | null;
}

/** Rule sets for the layer thread are numbered per process. */
let nextRuleSet = 1;

/** The rules as data the layer thread compiles again (digest-thread.ts). */
function threadRuleSet(rules: readonly CompiledRule[]): ThreadRuleSet {
  return { id: nextRuleSet++, rules: rules.map((r) => ({ rule: r.origin.rule, from: r.origin.from, trusted: r.trusted })) };
}

/**
 * Whether the layer thread runs the rules on layer entries: it needs a core of its own. On two
 * cores the walk, the thread, zlib and the collector already share both, and the rules in the
 * walk's own pass (one SIMD pass for their keywords) measured as fast, with less memory
 * (docs/performance.md).
 */
export const RULES_ON_THREAD = availableParallelism() > 2;

export function buildNeedles(secrets: readonly ResolvedSecret[], rules: readonly CompiledRule[] = [], limits = new RuleLimits(), rulesOnThread = RULES_ON_THREAD): NeedleTable {
  const variants: Variant[] = [];
  const warnings: string[] = [];
  const unsearched: string[] = [];
  for (const secret of secrets) {
    const value = secret.value.expose();
    const core = coreLength(value);
    const bare = withoutBlanks(value.subarray(0, core)) ?? value.subarray(0, core);
    if (bare.length < MIN_NEEDLE_BYTES) {
      const around = bare.length < core ? " without the blanks around it" : core < value.length ? " without its trailing newline" : "";
      warnings.push(said`secret "${secret.id}" is shorter than ${MIN_NEEDLE_BYTES} bytes${around}: not scanned`);
      unsearched.push(secret.id);
      continue;
    }
    if (guessable(bare)) {
      warnings.push(said`secret "${secret.id}" looks like a word or a common password, not a random value: it may be found where it was never leaked (in ordinary text and binaries)`);
    }
    // variantsOf already drops repeated byte sequences of one secret.
    const all = variantsOf(secret.id, value);
    variants.push(...all.filter((v) => v.bytes.length >= MIN_NEEDLE_BYTES));
    wipeVariants(all.filter((v) => v.bytes.length < MIN_NEEDLE_BYTES));
  }
  const plan = planKeywords(rules);
  const compiled = compileVariants(variants, plan.keywords);
  const { keywordBase } = compiled;
  if (rules.length === 0) {
    const { variants: all, lengths, matcher, streamSearch } = compiled;
    const none = { threadRules: undefined, wholeFile: new WholeFileRules([]), settingSearch: () => undefined, ruleMatch: () => undefined, ruleSink: () => undefined, ruleLimits: limits, rulesStopped: () => null };
    return { variants: all, lengths, matcher, warnings, unsearched, streamSearch, rules, searchesContent: all.length > 0, knownStreamSearch: streamSearch, ...none };
  }

  const matches: RuleMatch[] = [];
  const isKnown = (secret: Buffer): boolean => {
    let known = false;
    compiled.matcher.scan(secret, (tag) => {
      if (tag < keywordBase) known = true;
    });
    return known;
  };
  // Known values win: a rule match that holds a given secret is that secret's finding already;
  // and a value a rule takes by its name that a token rule finds is that rule's (one finding for one value)
  const byName = rules.map((rule) => rule.wholeFile !== undefined || rule.settings === true);
  const sink: RuleMatchSink = (rule, secret, offset) => {
    if (isKnown(secret) || (byName[rule] === true && tokenRuleInside(rules, secret)) || !limits.admit()) return undefined;
    const found = rules[rule]!;
    matches.push({ rule: found, preview: previewOf(secret), offset, verified: found.verified(secret) });
    return RULE_TAG_BASE + matches.length - 1;
  };
  const matcher: RangeMatcher = {
    ...compiled.matcher,
    scan(hay, onMatch) {
      // allocated on the first keyword hit only: paths and names (a million per layer) rarely hold one
      let hits: [number, number][] | undefined;
      compiled.matcher.scan(hay, (tag, start, end) => {
        if (tag < keywordBase) onMatch(tag, start, end);
        else (hits ??= []).push([tag - keywordBase, start]);
      });
      if (hits !== undefined) findInBuffer(plan, hay, hits, limits, sink, onMatch);
      if (limits.takeMark()) onMatch(RULES_STOPPED_TAG, 0, 0);
    },
  };
  // the known values without the keywords: the same tags, and the wider window the keywords cost (matcher.ts)
  let known: ReturnType<typeof compileVariants> | undefined;
  return {
    variants: compiled.variants,
    lengths: compiled.lengths,
    matcher,
    warnings,
    unsearched,
    streamSearch: () => limits.marking(new KeywordStream(compiled.streamSearch(), plan, keywordBase, sink, limits)),
    rules,
    ruleMatch: (tag) => (tag >= RULE_TAG_BASE ? matches[tag - RULE_TAG_BASE] : undefined),
    searchesContent: true,
    threadRules: rulesOnThread ? threadRuleSet(rules) : undefined,
    wholeFile: new WholeFileRules(rules),
    settingSearch: settingSearcher(rules, sink, limits),
    knownStreamSearch: () => (known ??= compileVariants(variants)).streamSearch(),
    ruleSink: sink,
    ruleLimits: limits,
    rulesStopped: () => limits.stopped,
  };
}

/** Whether a keyword rule finds its secret inside `value` (a value a whole-file or settings rule took by its name). */
function tokenRuleInside(rules: readonly CompiledRule[], value: Buffer): boolean {
  for (const rule of rules) {
    if (rule.wholeFile !== undefined || rule.settings === true || !rule.keywords.some((k) => value.includes(k))) continue;
    let found = false;
    rule.find(value, () => void (found = true));
    if (found) return true;
  }
  return false;
}

/** Runs the settings rules (RuleSpec.settings) on `NAME=value` lines, their matches judged by `sink`. */
function settingSearcher(rules: readonly CompiledRule[], sink: RuleMatchSink, limits: RuleLimits): NeedleTable["settingSearch"] {
  const settingRules = rules.flatMap((rule, i) => (rule.settings === true ? [i] : []));
  return (lines, onMatch) => {
    for (const i of settingRules) {
      rules[i]!.find(lines, (start, end) => {
        const tag = sink(i, lines.subarray(start, end), start);
        if (tag !== undefined) onMatch(tag);
      });
    }
    if (limits.takeMark()) onMatch(RULES_STOPPED_TAG);
  };
}

/** The value's length as the scan sees it: a trailing newline (or CRLF) is not part of it. */
/**
 * A short value of one kind of character, a word and a number, or few distinct bytes
 * (`password`, `changeme1`, `12345678`): such bytes occur in clean images (busybox holds
 * `password`), so a finding may be a coincidence. Still searched: a weak password leaks too.
 */
export function guessable(core: Buffer): boolean {
  if (core.length > 16) return false;
  const text = core.toString("latin1");
  return /^(?:[a-z]+|[A-Z]+|[0-9]+|[A-Za-z][a-z]+[0-9]{1,4}[!.]?)$/.test(text) || new Set(core).size < 6;
}

function coreLength(value: Buffer): number {
  let end = value.length;
  if (end > 0 && value[end - 1] === 0x0a) end -= end > 1 && value[end - 2] === 0x0d ? 2 : 1;
  return end;
}
