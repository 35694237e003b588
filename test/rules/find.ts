import { buildNeedles, type NeedleTable } from "../../src/scan/findings/needles.js";
import { BUILTIN_RULES } from "../../src/rules/builtin-rules.js";
import { compileRules, type CompiledRule } from "../../src/rules/compile-rules.js";
import type { ResolvedSecret } from "../../src/secrets/secret.js";
import { WholeFileGatherer, WholeFileRules } from "../../src/match/whole-file-rules.js";

/** As the CLI runs them: on V8's regexes (trusted); `builtinsOnRe2` runs the same on re2js. */
export const builtins: readonly CompiledRule[] = compileRules(BUILTIN_RULES.map((rule) => ({ rule, from: "built-in rules" })), () => true);
export const builtinsOnRe2: readonly CompiledRule[] = compileRules(BUILTIN_RULES.map((rule) => ({ rule, from: "built-in rules" })));

export interface Found {
  readonly rule: string;
  readonly offset: number;
  readonly preview: string;
}

const found = (needles: NeedleTable, tag: number): Found | undefined => {
  const m = needles.ruleMatch(tag);
  return m && { rule: m.rule.id, offset: m.offset, preview: m.preview };
};

/** Rule matches in one whole buffer (the path config strings and zip members take). */
export function findWhole(text: string | Buffer, rules: readonly CompiledRule[] = builtins, secrets: readonly ResolvedSecret[] = []): Found[] {
  const needles = buildNeedles(secrets, rules);
  const out: Found[] = [];
  needles.matcher.scan(Buffer.isBuffer(text) ? text : Buffer.from(text), (tag) => {
    const f = found(needles, tag);
    if (f) out.push(f);
  });
  return out;
}

/** Rule matches in a stream pushed in the given pieces (the path file contents take). */
export function findStream(pieces: readonly Buffer[], rules: readonly CompiledRule[] = builtins, secrets: readonly ResolvedSecret[] = []): { rules: Found[]; known: number[] } {
  const needles = buildNeedles(secrets, rules);
  const search = needles.streamSearch();
  const out: Found[] = [];
  const known: number[] = [];
  const onMatch = (tag: number, offset: number): void => {
    const f = found(needles, tag);
    if (f) {
      if (f.offset !== offset) throw new Error(`reported at ${offset}, match at ${f.offset}`);
      out.push(f);
    } else known.push(tag);
  };
  for (const piece of pieces) search.push(piece, onMatch);
  search.end(onMatch);
  return { rules: out, known };
}

/** The whole-file rules' matches in a file at `path` (rule ids), as the layer walk runs them. */
export function findInFile(path: string, text: string, rules: readonly CompiledRule[] = builtins): string[] {
  const bytes = Buffer.from(text);
  const named = new WholeFileRules(rules).at(path, bytes.length);
  if (named === null) return [];
  const gatherer = new WholeFileGatherer(named, rules);
  gatherer.push(bytes);
  const out: string[] = [];
  gatherer.end(() => true, (rule) => void out.push(rules[rule]!.id));
  return out;
}

/** The settings rules' matches in `NAME=value` lines (an image's `Env`, its history's assignments). */
export function findSettings(lines: string, rules: readonly CompiledRule[] = builtins, secrets: readonly ResolvedSecret[] = []): Found[] {
  const needles = buildNeedles(secrets, rules);
  const out: Found[] = [];
  needles.settingSearch(Buffer.from(lines), (tag) => {
    const f = found(needles, tag);
    if (f) out.push(f);
  });
  return out;
}
