import type { FindingWhere } from "../scan/findings/finding.js";
import type { SecretRef } from "../secrets/secret.js";
import type { RuleSpec, Severity } from "../rules/rule.js";

/** A validated `safebuild.yml`, paths made absolute against the file's own directory. */
export interface LoadedConfig {
  /** Absolute path of the file. */
  readonly path: string;
  /** How messages name the file (relative to the cwd when shorter). */
  readonly display: string;
  /** 1-based lines of `secrets.ID`, `build.context`, `build.file`, `build.push` and `scan`, for messages. */
  readonly lines: Readonly<Record<string, number>>;
  /** In file order. File and dotenv paths are resolved against the file's directory. */
  readonly secrets: readonly SecretRef[];
  readonly build: BuildDefaults;
  readonly scan: ScanPolicy;
  readonly rules: ConfigRules;
}

/** `scan.rules` and `scan.rulesFile`: pattern rules the file adds (they can only add findings). */
export interface ConfigRules {
  readonly specs: readonly RuleSpec[];
  /** Absolute path of `scan.rulesFile`. */
  readonly file: string | undefined;
  /**
   * False for a repository config without `--allow policy`: its rules run, but their allow
   * lists (which loosen) are dropped and they cannot replace a built-in rule.
   */
  readonly mayLoosen: boolean;
}

export interface BuildDefaults {
  /** Absolute. */
  readonly context: string | undefined;
  /** Absolute. */
  readonly file: string | undefined;
  readonly tags: readonly string[];
  /** In file order. */
  readonly buildArgs: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly target: string | undefined;
  readonly platform: string | undefined;
  /** `push: true`: push after a clean scan (a repository config needs `--allow push`). */
  readonly push: boolean;
}

/**
 * `any`: every finding fails the run (exit 1); `none`: report only; a severity: rule findings of
 * that severity or worse, and every known-value finding; a list of places and severities: a
 * finding fails when its place is listed (if places are) and its severity is (if severities are).
 */
export type FailOn = "any" | "none" | Severity | readonly (FindingWhere | Severity)[];

export interface ScanPolicy {
  readonly failOn: FailOn;
  readonly ignore: readonly IgnoreRule[];
  /**
   * Content the scan could not read in full (a limit, an unknown compression): `fail` (exit 2
   * when nothing leaked) or `warn` (reported, exit 0). `warn` loosens the audit.
   */
  readonly notSearched: "fail" | "warn";
}

/** Matches a finding when every given selector matches; `reason` is required and reported. */
export interface IgnoreRule {
  /** A secret id; `*` for any. */
  readonly secret: string | undefined;
  /** A pattern rule's name (findings with `rule`). */
  readonly rule: string | undefined;
  /** The finding's path, exact or a glob (`*`, `**`, `?`); a leading `/` is ignored. */
  readonly path: string | undefined;
  /** A rule finding's fingerprint (`RULE:HEX`), naming that one finding. */
  readonly fingerprint?: string | undefined;
  readonly where: FindingWhere | undefined;
  readonly reason: string;
  /** 1-based line of the rule in the file, for reports. */
  readonly line: number;
}

export const defaultScanPolicy: ScanPolicy = { failOn: "any", ignore: [], notSearched: "fail" };
