import type { Finding } from "../scan/findings/finding.js";
import { ExitCode } from "../errors.js";
import { matchesGlob } from "./glob.js";
import { defaultScanPolicy, type FailOn, type IgnoreRule, type ScanPolicy } from "./loaded-config.js";
import { SEVERITIES, type Severity } from "../rules/rule.js";

export type IgnoredFinding = Finding & { readonly reason: string };

export interface PolicyOutcome {
  /** Findings still standing, in their original order. */
  readonly findings: readonly Finding[];
  /** Findings an ignore rule matched, with its reason: reported, never dropped silently. */
  readonly ignored: readonly IgnoredFinding[];
  /** True when a standing finding makes the run fail (exit 1) under `failOn`. */
  readonly fails: boolean;
}

/**
 * The exit code of a scan: 1 when a finding fails the run; else 2 when content was not searched
 * in full and the policy does not accept that; else 0.
 */
export function scanExitCode(outcome: PolicyOutcome, notSearched: number, policy: ScanPolicy = defaultScanPolicy): number {
  if (outcome.fails) return ExitCode.leak;
  return notSearched > 0 && policy.notSearched === "fail" ? ExitCode.incomplete : ExitCode.ok;
}

/** Splits findings by the config's ignore rules and decides whether the rest fail the run. */
export function applyPolicy(findings: readonly Finding[], policy: ScanPolicy = defaultScanPolicy): PolicyOutcome {
  const kept: Finding[] = [];
  const ignored: IgnoredFinding[] = [];
  for (const finding of findings) {
    const rule = policy.ignore.find((r) => ruleMatches(r, finding));
    if (rule === undefined) kept.push(finding);
    else ignored.push({ ...finding, reason: rule.reason });
  }
  const fails = kept.some((f) => failsUnder(policy.failOn, f));
  return { findings: kept, ignored, fails };
}

/** A known value's finding is a certain leak: it ranks as critical. */
const severityOf = (f: Finding): Severity => f.severity ?? "critical";
const rank = (s: Severity): number => SEVERITIES.indexOf(s);

export function failsUnder(failOn: FailOn, f: Finding): boolean {
  if (failOn === "any") return true;
  if (failOn === "none") return false;
  if (typeof failOn === "string") return rank(severityOf(f)) >= rank(failOn);
  const severities = failOn.filter((x): x is Severity => (SEVERITIES as readonly string[]).includes(x));
  const places = failOn.filter((x) => !(SEVERITIES as readonly string[]).includes(x));
  return (places.length === 0 || places.includes(f.where)) && (severities.length === 0 || severities.includes(severityOf(f)));
}

function ruleMatches(rule: IgnoreRule, finding: Finding): boolean {
  if (rule.secret !== undefined && rule.secret !== "*" && rule.secret !== finding.secret) return false;
  if (rule.rule !== undefined && rule.rule !== finding.rule) return false;
  if (rule.fingerprint !== undefined && rule.fingerprint !== finding.fingerprint) return false;
  if (rule.where !== undefined && rule.where !== finding.where) return false;
  if (rule.path !== undefined && !matchesGlob(finding.path, rule.path.replace(/^\/+/, ""))) return false;
  return true;
}
