import { emptyReason } from "./field.js";
import type { PlanBuilder, StructuredPlan } from "./plan.js";

/** `hostname:port:database:username:password`, `\:` and `\\` escaped, `*` a wildcard (PostgreSQL's docs, "The Password File"). */
const ENTRY = /^((?:[^:\\]|\\.)+):(\d{1,5}|\*):((?:[^:\\]|\\.)+):((?:[^:\\]|\\.)+):((?:[^\\]|\\.)+)$/;

/**
 * A `.pgpass` (or `PGPASSFILE`): every line that is no comment is an entry, its last field the
 * password, the rest identifiers. Recognised only when every such line is one.
 */
export function pgpass(plan: PlanBuilder): StructuredPlan | undefined {
  const index = plan.index;
  const identifiers: number[] = [];
  let entries = 0;
  for (let n = 1; n <= index.lines.length; n++) {
    const line = index.text(n).replace(/\r$/, "");
    if (line.trim().length === 0 || line.startsWith("#")) continue;
    const m = ENTRY.exec(line);
    if (m === null) return undefined;
    entries++;
    // the password as written (escaped) and as the client reads it
    const written = m[5] ?? "";
    const password = written.replace(/\\(.)/g, "$1");
    if (emptyReason(password) !== undefined || password === "*") identifiers.push(n);
    else plan.credential("password", [...new Set([written, password])].map((text) => ({ text, encoding: "utf8" as const })), [n]);
  }
  if (entries === 0) return undefined;
  if (identifiers.length > 0) plan.exclude("entry", "no password in it", identifiers);
  return plan.done("pgpass");
}
