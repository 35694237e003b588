import { addNpmSetting, isNpmKey } from "./key-value.js";
import type { PlanBuilder, StructuredPlan } from "./plan.js";

/** `key value`, either side double-quoted when it needs to be (Yarn 1's lockfile syntax, one level). */
const LINE = /^[ \t]*("(?:[^"\\\r\n]|\\.){1,600}"|[^\s"#]{1,600})[ \t]+("(?:[^"\\\r\n]|\\.){0,4096}"|[^\s"]{1,4096})[ \t]*$/;
const COMMENT = /^[ \t]*#/;

const unquote = (word: string): string => (word.startsWith('"') ? word.slice(1, -1).replace(/\\(.)/g, "$1") : word);

/**
 * Yarn 1's `.yarnrc` (`registry "https://registry.yarnpkg.com"`, `"//host/:_authToken" "…"`):
 * every line `key value`, a comment or blank, and at least one key npm knows, so a list of word
 * pairs is not taken for one. Its settings are npm's, credentials by the same keys.
 */
export function yarnrc(plan: PlanBuilder): StructuredPlan | undefined {
  const index = plan.index;
  const entries: { key: string; value: string; line: number }[] = [];
  const comments: number[] = [];
  for (let n = 1; n <= index.lines.length; n++) {
    const line = index.text(n);
    if (line.trim().length === 0) continue;
    if (COMMENT.test(line)) {
      comments.push(n);
      continue;
    }
    const m = LINE.exec(line);
    if (m === null) return undefined;
    entries.push({ key: unquote(m[1] ?? ""), value: unquote(m[2] ?? ""), line: n });
  }
  if (!entries.some((e) => isNpmKey(e.key))) return undefined;
  for (const e of entries) addNpmSetting(plan, e.key, e.value, [e.line]);
  if (comments.length > 0) plan.exclude("comments", "structure", comments);
  return plan.done("yarnrc");
}
