import { parse } from "smol-toml";
import { z } from "zod";
import { usageError } from "../errors.js";
import { SEVERITIES, type RuleOrigin, type RuleSpec } from "./rule.js";

/** A gitleaks allowlist (`[rules.allowlist]`, `[[rules.allowlists]]` or the file's `[allowlist]`). */
const Allowlist = z.looseObject({
  description: z.string().optional(),
  condition: z.string().optional(),
  regexTarget: z.string().optional(),
  regexes: z.array(z.string()).optional(),
  paths: z.array(z.string()).optional(),
  stopwords: z.array(z.string()).optional(),
  commits: z.array(z.string()).optional(),
});
type Allowlist = z.infer<typeof Allowlist>;

const GitleaksRule = z.looseObject({
  id: z.string({ error: "expected id = \"...\"" }),
  description: z.string().optional(),
  regex: z.string().optional(),
  secretGroup: z.number().int().optional(),
  entropy: z.number().optional(),
  keywords: z.array(z.string()).optional(),
  path: z.string().optional(),
  severity: z.enum(SEVERITIES).optional(),
  allowlist: Allowlist.optional(),
  allowlists: z.array(Allowlist).optional(),
});

const GitleaksFile = z.looseObject({
  rules: z.array(GitleaksRule).optional(),
  allowlist: Allowlist.optional(),
  allowlists: z.array(Allowlist).optional(),
  extend: z.unknown().optional(),
});

const HONOURED_RULE_KEYS = new Set(["id", "description", "regex", "secretGroup", "entropy", "keywords", "path", "severity", "allowlist", "allowlists", "tags"]);

export interface LoadedRules {
  readonly rules: readonly RuleOrigin[];
  /** One line per thing of the file that safebuild cannot honour, each naming the rule. */
  readonly notes: readonly string[];
}

/**
 * Reads a gitleaks-format TOML file (`[[rules]]` with id, regex, secretGroup, entropy,
 * keywords, path, allowlists). What gitleaks does that a scan of image bytes cannot (commits,
 * AND conditions, rules with no regex or no keywords) is listed in `notes`, never guessed.
 */
export function readGitleaksToml(text: string, display: string): LoadedRules {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    const first = error instanceof Error ? (error.message.split("\n")[0] ?? "") : "";
    throw usageError(`${display}: not valid TOML: ${first.slice(0, 200)}`);
  }
  const parsed = GitleaksFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw usageError(`${display}: ${issue.path.join(".") || "(top level)"}: ${issue.message}`);
  }
  const file = parsed.data;
  const notes: string[] = [];
  if (file.extend !== undefined) notes.push(`${display}: [extend] not honoured: safebuild's own built-in rules run unless --no-rules`);
  const globalLists = [...(file.allowlist ? [file.allowlist] : []), ...(file.allowlists ?? [])];
  const rules: RuleOrigin[] = [];
  for (const r of file.rules ?? []) {
    const at = `${display}: rule ${r.id}`;
    for (const key of Object.keys(r)) if (!HONOURED_RULE_KEYS.has(key)) notes.push(`${at}: ${key} not honoured`);
    if (r.regex === undefined) {
      notes.push(`${at}: skipped: no regex (a rule on file names alone is not supported)`);
      continue;
    }
    if ((r.keywords ?? []).length === 0) {
      notes.push(`${at}: skipped: no keywords (safebuild runs a rule's regex only near a keyword, in the same pass as everything else)`);
      continue;
    }
    const lists = [...(r.allowlist ? [r.allowlist] : []), ...(r.allowlists ?? []), ...globalLists];
    for (const list of lists) noteAllowlist(list, at, notes);
    const spec: RuleSpec = {
      id: r.id,
      title: r.description ?? r.id,
      severity: r.severity ?? "high",
      regex: r.regex,
      secretGroup: r.secretGroup,
      keywords: r.keywords ?? [],
      entropy: r.entropy,
      paths: r.path === undefined ? undefined : [r.path],
      allowRegexes: lists.flatMap((l) => l.regexes ?? []),
      allowPaths: lists.flatMap((l) => l.paths ?? []),
      stopwords: lists.flatMap((l) => l.stopwords ?? []),
    };
    rules.push({ rule: spec, from: display });
  }
  return { rules, notes: [...new Set(notes)] };
}

function noteAllowlist(list: Allowlist, at: string, notes: string[]): void {
  if (list.condition !== undefined && list.condition.toUpperCase() === "AND") notes.push(`${at}: allowlist condition AND not honoured (each entry allows on its own)`);
  if (list.regexTarget !== undefined && list.regexTarget !== "secret") notes.push(`${at}: allowlist regexTarget ${list.regexTarget} not honoured (regexes apply to the secret)`);
  if ((list.commits ?? []).length > 0) notes.push(`${at}: allowlist commits not honoured (an image has no commits)`);
}
