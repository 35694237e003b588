import { applyPolicy, scanExitCode } from "../config/apply-policy.js";
import { usageError } from "../errors.js";
import { buildClouds } from "../docker/credential-helpers.js";
import { childEnv, type SecretTraces } from "../secrets/child-env.js";
import { createProgress } from "../report/progress.js";
import { toolVersion } from "../report/tool-version.js";
import type { ScanResult } from "../scan/findings/finding.js";
import { startEarlyExport, type EarlyExport } from "../scan/source/early-export.js";
import { resolveSecrets, wipeSecrets } from "../secrets/resolve.js";
import type { ResolvedSecret } from "../secrets/secret.js";
import { providerContext, throwIfInterrupted } from "./provider-context.js";
import { runConfig, throwIfDenied } from "./run-config.js";
import type { CommandContext, ScanOptions } from "./context.js";
import { writeReport } from "./report-output.js";
import { noteWarnings } from "./noted-warnings.js";
import { withDockerfileLines } from "./dockerfile-lines.js";
import { readDockerfile } from "../buildkit/dockerfile-file.js";
import path from "node:path";
import { ruleSetOf } from "./rule-set.js";
import type { CompiledRule } from "../rules/compile-rules.js";

/**
 * `safebuild scan <image>`: exit 1 when a finding counts under the config's policy, else 0.
 * Secrets and policy come from `safebuild.yml` (here or `--config`) and `--secret`.
 */
export async function scanCommand(options: ScanOptions, outer: CommandContext): Promise<number> {
  const noted = noteWarnings(outer);
  const { ctx } = noted;
  // No build context here: the current directory's file is judged as if it were one (a CI job
  // that scans from its checkout must not take the checkout's policy as the operator's).
  const { config, refs, denied } = await runConfig(
    { ...options, trustContextConfig: false, context: ".", usesBuildContext: false, usesBuildFile: false },
    ctx,
  );
  throwIfDenied(denied);
  const rules = ruleSetOf(options, config, ctx);
  if (refs.length === 0 && rules.length === 0) {
    throw usageError(
      "scan with --no-rules needs at least one --secret (e.g. --secret npmrc=~/.npmrc) or a secrets: entry in safebuild.yml: it looks for the values you give it",
    );
  }
  let secrets: ResolvedSecret[] = [];
  const providerCtx = providerContext(ctx, refs);
  // dockerd works seconds on an export before its first byte: it may as well start now
  const early = startEarlyExport(options.image, { env: ctx.env, cwd: ctx.cwd, signal: ctx.signal });
  try {
    secrets = await resolveSecrets(refs, providerCtx);
    throwIfInterrupted(ctx);
    const result = await scan(options, secrets, rules, childEnv("export", ctx.env, providerCtx.traces), ctx, early, providerCtx.traces);
    for (const warning of result.warnings) ctx.io.warn(warning);
    const dockerfile = options.file === undefined ? undefined : { path: options.file, text: await readDockerfile({ path: path.resolve(ctx.cwd, options.file), display: options.file }) };
    const outcome = applyPolicy(withDockerfileLines(result.findings, dockerfile, options.target, new Map()), config?.scan);
    await writeReport(
      {
        result: { ...result, findings: outcome.findings, warnings: noted.withScan(result.warnings) },
        ignored: outcome.ignored,
        secrets: secrets.map((s) => ({ id: s.id, source: s.kind })),
        rules: rules.length,
        toolVersion: toolVersion(),
        ...(options.file === undefined ? {} : { dockerfile: options.file }),
      },
      options,
      ctx,
    );
    return scanExitCode(outcome, result.notSearched.length, config?.scan);
  } finally {
    await early?.close();
    wipeSecrets(secrets);
  }
}

async function scan(options: ScanOptions, secrets: readonly ResolvedSecret[], rules: readonly CompiledRule[], exportEnv: Record<string, string>, ctx: CommandContext, early: EarlyExport | undefined, traces: SecretTraces): Promise<ScanResult> {
  // loaded once the export is asked for: the scanner's modules (zod's among them) take about 0.1 s
  const { scanImage } = await import("../scan/scan-image.js");
  const progress = ctx.io.interactive ? createProgress(ctx.io.err, options.image) : undefined;
  try {
    const result = await scanImage({
      ref: options.image,
      secrets,
      rules,
      platform: options.platform,
      env: ctx.env,
      childEnv: exportEnv,
      cwd: ctx.cwd,
      signal: ctx.signal,
      progress,
      early,
      registry: {
        insecure: options.insecureRegistries ?? [],
        // a credential helper is the same child docker runs to pull: the build's environment policy
        helperEnv: childEnv("build", ctx.env, traces, { clouds: buildClouds(ctx.env) }),
        sensitive: (value) => ctx.masker.addSensitive(value),
      },
    });
    throwIfInterrupted(ctx);
    return result;
  } catch (error) {
    // An aborted read surfaces as whatever the stream threw; the signal is the real cause.
    throwIfInterrupted(ctx);
    throw error;
  } finally {
    progress?.done();
  }
}


