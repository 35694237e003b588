import { buildArgMap, type DockerfileCheck } from "../buildkit/preflight.js";
import type { ScanPolicy } from "../config/loaded-config.js";
import { contextDirOf, runPrechecks, throwIfPrecheckErrors, type Prechecks } from "../precheck/run-prechecks.js";
import type { ResolvedSecret } from "../secrets/secret.js";
import type { NeedleTable } from "../scan/findings/needles.js";
import type { CommandContext } from "./context.js";

export interface PrecheckRequest {
  readonly context: string;
  readonly buildArgs: readonly string[];
  readonly target: string | undefined;
  readonly dockerfile: DockerfileCheck | undefined;
  readonly secrets: readonly ResolvedSecret[];
  readonly policy: ScanPolicy | undefined;
  readonly needles?: NeedleTable | undefined;
  /** The scan's settings rules (env-secret), compiled alone: the Dockerfile's ENV/ARG/LABEL literals are judged by them. */
  readonly settings?: NeedleTable | undefined;
  /** `check` always prints the context check's line; `build` when it found something, skipped files or was slow. */
  readonly verbose: boolean;
  /** Print nothing: the Dockerfile's own error stops the build, its findings only fill the report. */
  readonly silent?: boolean;
}

export { throwIfPrecheckErrors };

/** Runs the value checks and prints what is not an error (errors are the caller's to raise). */
export async function prechecks(req: PrecheckRequest, ctx: CommandContext): Promise<Prechecks> {
  const df = req.dockerfile;
  const local = df?.path !== undefined && df.text !== undefined && df.dockerfile !== undefined;
  const result = await runPrechecks({
    secrets: req.secrets,
    buildArgs: buildArgMap(req.buildArgs, ctx.env),
    target: req.target,
    dockerfile: local ? { path: df.path ?? "", display: df.dockerfile ?? "", text: df.text ?? "" } : undefined,
    contextDir: local ? contextDirOf(ctx.cwd, req.context) : undefined,
    ignore: req.policy?.ignore ?? [],
    needles: req.needles,
    settings: req.settings,
  });
  if (req.silent === true) return result;
  for (const f of result.findings) {
    if (f.severity === "warning") ctx.io.warn(f.message);
    else if (f.severity === "note") ctx.io.info(`note: ${f.message}`);
  }
  for (const f of result.accepted) ctx.io.info(`accepted by safebuild.yml (${f.reason}): ${f.message}`);
  const said = result.findings.length > 0 || result.accepted.length > 0 || result.noteworthy;
  if (result.summary !== undefined && (req.verbose || said)) ctx.io.info(result.summary);
  return result;
}
