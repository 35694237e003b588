import { readFileSync, statSync } from "node:fs";
import { inputError } from "../errors.js";
import { BUILTIN_RULES } from "./builtin-rules.js";
import { compileRules, type CompiledRule } from "./compile-rules.js";
import { readGitleaksToml } from "./gitleaks-toml.js";
import type { RuleOrigin, RuleSpec } from "./rule.js";

/** A rules file larger than this is not a rules file. */
const MAX_RULES_FILE_BYTES = 4 * 1024 * 1024;

export interface RuleSources {
  /** False with --no-rules: nothing below is used either. */
  readonly enabled: boolean;
  /** gitleaks-format TOML files: `scan.rulesFile`, then `--rules` (absolute or relative to cwd). */
  readonly files: readonly { readonly path: string; readonly display: string }[];
  /** `scan.rules` of safebuild.yml, with where it came from. */
  readonly config: readonly RuleSpec[];
  readonly configDisplay: string;
  /**
   * False for rules from a repository's own config (no `--allow policy`): their allow lists
   * are dropped and they cannot replace a built-in rule, since either would loosen the scan.
   */
  readonly mayLoosen: boolean;
}

export interface LoadedRuleSet {
  readonly rules: readonly CompiledRule[];
  /** What could not be honoured (gitleaks features), one line each. */
  readonly notes: readonly string[];
}

/** The built-in rules, then the config's, then each file's; a later id replaces an earlier one. Exit 2 on any rule that does not compile. */
export function loadRules(sources: RuleSources): LoadedRuleSet {
  if (!sources.enabled) return { rules: [], notes: [] };
  const origins: RuleOrigin[] = BUILTIN_RULES.map((rule) => ({ rule, from: "built-in rules" }));
  const added: RuleOrigin[] = sources.config.map((rule) => ({ rule, from: sources.configDisplay }));
  const notes: string[] = [];
  for (const file of sources.files) {
    const loaded = readGitleaksToml(readRulesFile(file.path, file.display), file.display);
    added.push(...loaded.rules);
    notes.push(...loaded.notes);
  }
  const builtins = new Set<RuleSpec>(BUILTIN_RULES);
  const trusted = (origin: RuleOrigin): boolean => builtins.has(origin.rule);
  if (sources.mayLoosen) return { rules: compileRules([...origins, ...added], trusted), notes };
  const builtinIds = new Set(BUILTIN_RULES.map((r) => r.id));
  for (const origin of added) {
    const { rule, from } = origin;
    if (builtinIds.has(rule.id)) {
      notes.push(`${from}: rule ${rule.id} not applied: a config inside the repository being built cannot replace a built-in rule (--allow policy to allow it)`);
      continue;
    }
    const loosening = [rule.allowRegexes, rule.allowPaths, rule.paths, rule.stopwords].some((list) => (list ?? []).length > 0);
    if (loosening) notes.push(`${from}: rule ${rule.id}: its allow lists are not applied (a config inside the repository being built; --allow policy to apply them)`);
    origins.push({ from, rule: { ...rule, allowRegexes: undefined, allowPaths: undefined, paths: undefined, stopwords: undefined } });
  }
  return { rules: compileRules(origins, trusted), notes };
}

function readRulesFile(path: string, display: string): string {
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw inputError(`${display}: not a regular file`);
    size = stat.size;
  } catch (error) {
    if (error instanceof Error && "code" in error) throw inputError(`${display}: cannot read the rules file (${String(error.code)})`);
    throw error;
  }
  if (size > MAX_RULES_FILE_BYTES) throw inputError(`${display}: rules file over ${MAX_RULES_FILE_BYTES / 1024 / 1024} MiB`);
  return readFileSync(path, "utf8");
}
