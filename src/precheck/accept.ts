import { matchesGlob } from "../config/glob.js";
import type { IgnoreRule } from "../config/loaded-config.js";
import type { PrecheckFinding } from "./finding.js";

export type AcceptedFinding = PrecheckFinding & { readonly reason: string };

/**
 * An ignore entry of safebuild.yml accepts a check's finding as it accepts a scan finding, but
 * only by naming it: its `path` (the build argument, the context file, the Dockerfile) must
 * match, and `secret` too when given. `where` and `rule` belong to image findings: an entry
 * with either never matches here.
 */
export function acceptFindings(findings: readonly PrecheckFinding[], rules: readonly IgnoreRule[]): { standing: PrecheckFinding[]; accepted: AcceptedFinding[] } {
  const standing: PrecheckFinding[] = [];
  const accepted: AcceptedFinding[] = [];
  for (const finding of findings) {
    const rule = rules.find((r) => matches(r, finding));
    if (rule === undefined) standing.push(finding);
    else accepted.push({ ...finding, reason: rule.reason });
  }
  return { standing, accepted };
}

function matches(rule: IgnoreRule, finding: PrecheckFinding): boolean {
  if (rule.where !== undefined || rule.rule !== undefined || rule.path === undefined) return false;
  if (rule.secret !== undefined && rule.secret !== "*" && rule.secret !== finding.secret) return false;
  return matchesGlob(finding.path, rule.path.replace(/^\/+/, ""));
}
