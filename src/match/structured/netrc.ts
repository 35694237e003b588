import { emptyReason, looksGenerated, MARKER_REASON, printableKey, PUBLIC_MARKER } from "./field.js";
import type { PlanBuilder, StructuredPlan } from "./plan.js";

const KEYWORDS = new Set(["machine", "default", "login", "password", "account", "port", "protocol"]);
/** Keywords whose value is a credential; `login` and `machine` are identifiers. */
const SECRET_KEYWORDS = new Set(["password", "account"]);

/**
 * A credential of a `.netrc`: a password or account, or a login that looks generated (GitHub's
 * `login TOKEN password x-oauth-basic`); a password that only says so is public.
 */
function isCredential(keyword: string, value: string): boolean {
  if (emptyReason(value) !== undefined) return false;
  if (keyword === "login") return looksGenerated(value);
  return SECRET_KEYWORDS.has(keyword) && !PUBLIC_MARKER.test(value);
}

/**
 * `.netrc` (curl, git, ftp): `machine HOST login USER password PASS` tokens, on one line or
 * many. `macdef` (a macro up to the next blank line) is not supported: not recognised then.
 */
export function netrc(text: string, plan: PlanBuilder): StructuredPlan | undefined {
  const tokens: { word: string; line: number }[] = [];
  const index = plan.index;
  for (let n = 1; n <= index.lines.length; n++) {
    const line = index.text(n);
    if (/^\s*#/.test(line)) continue;
    for (const word of line.split(/[ \t]+/)) if (word.length > 0) tokens.push({ word, line: n });
  }
  const first = tokens[0]?.word;
  if (first !== "machine" && first !== "default") return undefined;
  const credentialLines = new Set<number>();
  const otherLines = new Set<number>();
  const markerLines = new Set<number>();
  for (let i = 0; i < tokens.length; i++) {
    const keyword = tokens[i]?.word ?? "";
    if (!KEYWORDS.has(keyword)) return undefined;
    if (keyword === "default") {
      otherLines.add(tokens[i]?.line ?? 0);
      continue;
    }
    const value = tokens[++i];
    if (value === undefined) return undefined;
    if (isCredential(keyword, value.word)) {
      plan.credential(printableKey(keyword), [{ text: value.word, encoding: "latin1" }], [value.line]);
      credentialLines.add(value.line);
    } else if (keyword === "password" && PUBLIC_MARKER.test(value.word)) {
      markerLines.add(value.line);
    } else {
      otherLines.add(value.line);
    }
  }
  const excluded = [...otherLines].filter((n) => !credentialLines.has(n));
  if (excluded.length > 0) plan.exclude("machine and login", "host and user name, identifiers", excluded);
  if (markerLines.size > 0) plan.exclude("password", MARKER_REASON, [...markerLines]);
  return plan.done("netrc");
}
