import type { Finding, ScanResult } from "../scan/findings/finding.js";
import type { SourceKind } from "../secrets/secret.js";
import type { AcceptedFinding } from "../precheck/accept.js";
import type { PrecheckFinding } from "../precheck/finding.js";

/** A secret as reports name it: its id and where it came from, never its value. */
export interface SecretSummary {
  readonly id: string;
  readonly source: SourceKind;
}

/**
 * A finding that a scan policy accepted. Reports show it as ignored, with the reason.
 * The same shape as config/apply-policy's, so a policy outcome passes straight through.
 */
export type IgnoredFinding = Finding & { readonly reason: string };

/**
 * Everything a report writer may use. It holds no secret value by construction: writers
 * cannot leak what they are never handed. Free text from the image (paths, `createdBy`)
 * can still hold a value, so report-output masks the input before rendering.
 */
export interface ReportInput {
  /** `result.findings` are the findings that count; ignored ones are taken out into `ignored`. */
  readonly result: ScanResult;
  readonly secrets: readonly SecretSummary[];
  /** How many pattern rules ran (0 with --no-rules). */
  readonly rules?: number | undefined;
  readonly toolVersion: string;
  readonly ignored?: readonly IgnoredFinding[] | undefined;
  /** The Dockerfile, relative to the repository root, when known: SARIF locations point at it. */
  readonly dockerfile?: string | undefined;
  /** `build` only: the checks before the builder started (docs/dockerfile-checks.md). */
  readonly prechecks?: PrecheckReport | undefined;
}

/** What the checks before a build found: the findings that stand, those safebuild.yml accepted. */
export interface PrecheckReport {
  /** False when an error stands: the build was refused before the builder started (exit 2). */
  readonly passed: boolean;
  readonly findings: readonly PrecheckFinding[];
  readonly accepted: readonly AcceptedFinding[];
  /** The build context relative to the repository root ("" for it): SARIF locates context files under it. */
  readonly context: string | undefined;
}

export interface WriterOptions {
  /** ANSI colours; only for a terminal with NO_COLOR unset. */
  readonly color: boolean;
}

/** One report format. Pure: same input, same bytes. */
export type Writer = (input: ReportInput, options: WriterOptions) => string;
