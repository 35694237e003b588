import path from "node:path";
import { escapeCharOf, parseInstructions } from "../buildkit/dockerfile-instructions.js";
import type { IgnoreRule } from "../config/loaded-config.js";
import { inputError } from "../errors.js";
import type { ResolvedSecret } from "../secrets/secret.js";
import { acceptFindings, type AcceptedFinding } from "./accept.js";
import { checkBuildArgs } from "./build-args.js";
import { checkContext } from "./context-files.js";
import { contextCopies } from "./copy-sources.js";
import { checkDockerfileValues, type SettingJudge } from "./dockerfile-values.js";
import type { PrecheckFinding } from "./finding.js";
import { secretSearch } from "./secret-search.js";
import type { NeedleTable } from "../scan/findings/needles.js";

export interface PrecheckInput {
  readonly secrets: readonly ResolvedSecret[];
  readonly buildArgs: ReadonlyMap<string, string>;
  readonly target: string | undefined;
  /** The local Dockerfile (undefined for a remote context: only build arguments are checked). */
  readonly dockerfile: { readonly path: string; readonly display: string; readonly text: string } | undefined;
  /** Absolute path of the local build context. */
  readonly contextDir: string | undefined;
  readonly ignore: readonly IgnoreRule[];
  /** The scan's compiled needles, when a scan follows. */
  readonly needles?: NeedleTable | undefined;
  /** The scan's settings rules compiled alone (no secrets), when a scan with rules follows. */
  readonly settings?: NeedleTable | undefined;
}

export interface Prechecks {
  /** Errors, warnings and notes still standing. */
  readonly findings: readonly PrecheckFinding[];
  readonly accepted: readonly AcceptedFinding[];
  /** One line on the context check: files, bytes, time, files over the limit. */
  readonly summary: string | undefined;
  /** Whether that line says more than "all clear, quickly": files over the limit, or a slow check. */
  readonly noteworthy: boolean;
}

/** A context check slower than this is worth a line on every build. */
const SLOW_MS = 1000;

/** The value checks before a build (docs/dockerfile-checks.md). */
export async function runPrechecks(input: PrecheckInput): Promise<Prechecks> {
  const search = secretSearch(input.secrets, input.needles);
  const findings: PrecheckFinding[] = [];
  if (!search.empty) findings.push(...checkBuildArgs(input.buildArgs, search));
  let summary: string | undefined;
  let noteworthy = false;
  const df = input.dockerfile;
  if (df !== undefined) {
    const instructions = parseInstructions(df.text);
    findings.push(...checkDockerfileValues(instructions, df.display, search, settingJudge(input.settings)));
    if (input.contextDir !== undefined) {
      const started = performance.now();
      const copies = contextCopies(instructions, escapeCharOf(df.text.split(/\r?\n/)), input.buildArgs, input.target);
      const context = await checkContext({ dir: input.contextDir, dockerfile: df.path, dockerfileDisplay: df.display, copies, search });
      findings.push(...context.findings);
      const ms = Math.round(performance.now() - started);
      const over = context.skipped.length === 0 ? "" : `; ${context.skipped.length} over the size limit checked by name only: ${context.skipped.map((s) => s.path).join(", ")}`;
      noteworthy = context.skipped.length > 0 || ms >= SLOW_MS;
      summary = `build context checked: ${context.files} files, ${(context.bytes / 1048576).toFixed(1)} MiB in ${ms} ms${over}`;
    }
  }
  const { standing, accepted } = acceptFindings(findings, input.ignore);
  return { findings: standing, accepted, summary, noteworthy };
}

/** Exit 2 before the builder starts when an error stands; every one is listed. */
export function throwIfPrecheckErrors(prechecks: Prechecks): void {
  const errors = prechecks.findings.filter((f) => f.severity === "error");
  if (errors.length === 0) return;
  const lines = errors.map((f) => f.message);
  throw inputError(
    lines.length === 1
      ? `${lines[0] ?? ""} (accept it with a scan.ignore entry naming its path, with a reason, in safebuild.yml)`
      : `${lines.length} problems before the build:\n  ${lines.join("\n  ")}\n(accept one with a scan.ignore entry naming its path, with a reason, in safebuild.yml)`,
  );
}

/** The scan's settings rules as the Dockerfile check asks them (none without a scan to follow, or with --no-rules). */
function settingJudge(needles: NeedleTable | undefined): SettingJudge | undefined {
  if (needles === undefined || !needles.rules.some((rule) => rule.settings === true)) return undefined;
  return (line) => {
    const out: { rule: string; preview: string }[] = [];
    needles.settingSearch(line, (tag) => {
      const match = needles.ruleMatch(tag);
      if (match !== undefined) out.push({ rule: match.rule.id, preview: match.preview });
    });
    return out;
  };
}

export const contextDirOf = (cwd: string, context: string): string => path.resolve(cwd, context);
