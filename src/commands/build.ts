import { join, relative, resolve } from "node:path";
import { writeFile } from "node:fs/promises";
import { buildCommandSpec } from "../buildkit/backends.js";
import type { Builder, BuildRequest } from "../buildkit/builder.js";
import { builderCacheDir, forgetCachedBuilders } from "../buildkit/builder-cache.js";
import { buildClouds } from "../docker/credential-helpers.js";
import { detectBuilder } from "../buildkit/detect.js";
import { buildArgMap, checkDockerfile, throwIfDockerfileErrors, type DockerfileCheck } from "../buildkit/preflight.js";
import type { PrecheckReport } from "../report/report-input.js";
import { mergeBuildOptions } from "../config/merge-build-options.js";
import { runBuild } from "../buildkit/run-build.js";
import { describeFsError, ExitCode, inputError, interruptedError, usageError } from "../errors.js";
import type { EngineExport } from "../buildkit/builder.js";
import { parseExporter } from "../buildkit/exporter.js";
import { checkPassthrough } from "../buildkit/passthrough.js";
import { heldLog } from "../buildkit/held-log.js";
import { materializeSecrets, type SecretDir } from "../materialize/secret-dir.js";
import { sweepStaleDirs } from "../materialize/sweep.js";
import { chooseTempRoot, tempRootCandidates } from "../materialize/temp-root.js";
import { childEnv, type SecretTraces } from "../secrets/child-env.js";
import type { ResolvedSecret } from "../secrets/secret.js";
import type { NeedleTable } from "../scan/findings/needles.js";
import type { ScanPolicy } from "../config/loaded-config.js";
import { checkMetadataFile } from "../push/metadata-file.js";
import { readOciResult, type OciResult } from "../push/oci-result.js";
import { providerContext, throwIfInterrupted } from "./provider-context.js";
import { checkPush, pushImage, pushRoute, writeBuildMetadata, type PushRoute } from "./push-step.js";
import { runConfig, throwIfDenied } from "./run-config.js";

import type { BuildOptions, CommandContext } from "./context.js";
import { noteWarnings, type NotedWarnings } from "./noted-warnings.js";
import { planSecretCache } from "./secret-cache.js";
import { ruleSetOf } from "./rule-set.js";
import type { CompiledRule } from "../rules/compile-rules.js";

// Providers, the scanner and the reports are imported when needed: loading them costs
// more than the builder probes, and this way the probes run meanwhile (or, for the
// scanner, not at all with --no-scan).
const loadResolver = () => import("../secrets/resolve.js");

/**
 * `safebuild build`: resolve → check the Dockerfile → materialize → build → dispose → scan.
 * Secrets are wiped and the private directory removed on every path out of here.
 */
export async function buildCommand(cliOptions: BuildOptions, outer: CommandContext): Promise<number> {
  const noted = noteWarnings(outer);
  const { ctx } = noted;
  checkPassthrough(cliOptions.passthrough);
  const exporter = engineExportOf(cliOptions.exporters);
  const { config, refs, denied } = await runConfig(
    { ...cliOptions, usesBuildContext: cliOptions.context === ".", usesBuildFile: cliOptions.file === undefined },
    ctx,
  );
  throwIfDenied(denied);
  const options = mergeBuildOptions(cliOptions, config);
  const targets = checkPush(options);
  if (options.metadataFile !== undefined) checkMetadataFile(options.metadataFile, ctx.cwd);
  // a rule that does not compile stops the run before anything is built
  const rules = options.scan ? ruleSetOf(options, config, ctx) : [];
  sweepStale(ctx);
  const providerCtx = providerContext(ctx, refs);
  // The builder probes are most of our fixed cost: run them while secrets resolve, with an
  // allowlisted environment, as no value is known yet.
  const probeEnv = childEnv("probe", ctx.env, providerCtx.traces);
  const detecting = detectBuilder({ docker: options.docker, env: ctx.env, probeEnv, cwd: ctx.cwd, signal: ctx.signal, cacheDir: builderCacheDir(ctx.env) });
  detecting.catch(() => undefined);
  const { resolveSecrets, wipeSecrets } = await loadResolver();
  let secrets: ResolvedSecret[] = [];
  let dir: SecretDir | undefined;
  let route: PushRoute | undefined;
  let needles: NeedleTable | undefined;
  try {
    secrets = await resolveSecrets(refs, providerCtx).catch(interruptedOr(ctx));
    throwIfInterrupted(ctx);
    const checked = await checkBeforeBuild(options, refs.map((r) => r.id), secrets, config?.scan, noted, rules);
    const { check, prechecks } = checked;
    needles = checked.needles;
    const builder = await detecting.catch(interruptedOr(ctx));
    throwIfInterrupted(ctx);
    if (builder.kind === "classic-buildkit" && options.builderFlags.includes("--cache-to")) {
      throw usageError(`--cache-to needs docker buildx; docker ${builder.clientVersion}'s built-in builder (${builder.docker}) has no cache export`);
    }

    route = targets === undefined ? undefined : pushRoute(builder, ctx.env);
    const layout = route?.kind === "oci-layout" ? route.dir : undefined;

    const root = chooseTempRoot(ctx.env);
    if (!root.inMemory) {
      ctx.io.warn(`the secret files go to ${root.path}, which is not a tmpfs, so secrets touch the disk (no usable tmpfs in $SAFEBUILD_TMPDIR, $XDG_RUNTIME_DIR or /dev/shm)`);
    }
    const cache = planSecretCache(options, check, builder, secrets, ctx);
    dir = materializeSecrets(root.path, secrets);
    const imageId = await build(builder, buildRequest(options, dir, exporter, layout, cache.flags), providerCtx.traces, ctx, { quiet: options.quiet, reportCached: cache.reportCached }).catch((error: unknown) => {
      // A remembered builder may be what failed (a plugin gone, another builder chosen): probe next time.
      const cacheDir = builderCacheDir(ctx.env);
      if (cacheDir !== undefined && !ctx.signal.aborted) forgetCachedBuilders(cacheDir, builder.docker);
      throw error;
    });
    cache.record();
    dir.dispose();
    dir = undefined;

    if (options.iidfile !== undefined) await writeIidfile(options.iidfile, imageId, ctx);
    // docker build -q prints the id on stdout; here only when no json/sarif report goes there.
    if (options.quiet && (options.format === "text" || options.report !== undefined || !options.scan)) ctx.io.out.write(`${imageId}\n`);
    const oci: OciResult | undefined = layout === undefined ? undefined : await readOciResult(layout);
    if (!options.scan) {
      ctx.io.info(`built ${imageId} (not scanned: --no-scan)`);
      if (options.metadataFile !== undefined) await writeBuildMetadata(options.metadataFile, imageId, oci, undefined, options.tags, ctx.cwd);
      return ExitCode.ok;
    }
    // Pushed is what was scanned: the engine's image, or the very OCI layout that is uploaded.
    const code = await scanBuilt(imageId, layout === undefined ? imageId : `oci:${layout}`, builder.docker, options, config?.scan, providerCtx.traces, { secrets, needles, rules, prechecks }, noted, check.text);
    if (code !== ExitCode.ok) {
      if (targets !== undefined) ctx.io.info("nothing pushed: the audit did not pass");
      return code;
    }
    const pushed = route === undefined || targets === undefined ? undefined : await pushImage(route, oci, targets, builder.docker, providerCtx.traces, options.quiet, options.insecureRegistries ?? [], ctx);
    if (options.metadataFile !== undefined) await writeBuildMetadata(options.metadataFile, imageId, oci, pushed, options.tags, ctx.cwd);
    return code;
  } finally {
    try {
      dir?.dispose();
    } finally {
      if (route?.kind === "oci-layout") route.dispose();
      wipeSecrets(secrets);
      for (const v of needles?.variants ?? []) v.bytes.fill(0);
    }
  }
}

/**
 * The Dockerfile's mounts and the values checks (docs/dockerfile-checks.md): what refuses the
 * build before the builder starts. Every check runs, so a refused build's json/sarif report
 * lists each problem on its line.
 */
async function checkBeforeBuild(
  options: BuildOptions,
  secretIds: string[],
  secrets: readonly ResolvedSecret[],
  policy: ScanPolicy | undefined,
  noted: NotedWarnings,
  rules: readonly CompiledRule[],
): Promise<{ check: DockerfileCheck; needles: NeedleTable; prechecks: PrecheckReport }> {
  const { ctx } = noted;
  const check = await checkDockerfile({
    cwd: ctx.cwd,
    context: options.context,
    file: options.file,
    target: options.target,
    secretIds,
    buildArgs: options.buildArgs,
    env: ctx.env,
  });
  for (const warning of check.warnings) ctx.io.warn(warning);
  // a report to write: every check runs for it; else the Dockerfile's error alone, at once
  const reporting = options.scan && options.format !== "text";
  if (!reporting) throwIfDockerfileErrors(check);
  const [{ prechecks, throwIfPrecheckErrors }, { buildNeedles }, { mountFindings }] = await Promise.all([
    import("./prechecks.js"),
    import("../scan/findings/needles.js"),
    import("../precheck/mount-findings.js"),
  ]);
  // Compiled once: the checks before the builder and the scan after it search the same needles.
  const needles = buildNeedles(secrets);
  try {
    const silent = check.errors.length > 0;
    // the settings rules (env-secret) judge the Dockerfile's ENV, ARG defaults and LABELs before the build
    const settingRules = rules.filter((rule) => rule.settings === true);
    const settings = settingRules.length === 0 ? undefined : buildNeedles([], settingRules);
    const checked = await prechecks({ context: options.context, buildArgs: options.buildArgs, target: options.target, dockerfile: check, secrets, policy, needles, settings, verbose: false, silent }, ctx);
    const findings = [...mountFindings(check), ...checked.findings];
    const report: PrecheckReport = { passed: !findings.some((f) => f.severity === "error"), findings, accepted: checked.accepted, context: relative(ctx.cwd, resolve(ctx.cwd, options.context)) };
    if (!report.passed) {
      const { writeRefusedReport } = await import("./refused-report.js");
      await writeRefusedReport(options, report, { secrets, dockerfile: dockerfilePathOf(options, ctx) }, noted);
    }
    throwIfDockerfileErrors(check);
    throwIfPrecheckErrors(checked);
    return { check, needles, prechecks: report };
  } catch (error) {
    for (const v of needles.variants) v.bytes.fill(0);
    throw error;
  }
}

/** The Dockerfile relative to where the user stands (the repository root): SARIF locations name it. */
const dockerfilePathOf = (options: BuildOptions, ctx: CommandContext): string => relative(ctx.cwd, resolve(ctx.cwd, options.file ?? join(options.context, "Dockerfile")));

function buildRequest(options: BuildOptions, dir: SecretDir, exporter: EngineExport | undefined, ociLayout: string | undefined, cacheFlags: readonly string[]): BuildRequest {
  return {
    context: options.context,
    dockerfile: options.file,
    tags: options.tags,
    buildArgs: options.buildArgs,
    labels: options.labels,
    target: options.target,
    platform: options.platform,
    noCache: options.noCache,
    pull: options.pull,
    secrets: dir.files,
    iidfile: join(dir.path, "iid"),
    passthrough: options.passthrough,
    exporter,
    ociLayout,
    builderFlags: [...options.builderFlags, ...cacheFlags],
  };
}

/** `-o` as docker reads it; only an export into the engine leaves the audit something to read. */
function engineExportOf(specs: readonly string[]): EngineExport | undefined {
  if (specs.length > 1) throw usageError(`-o is given ${specs.length} times: one export at a time (as docker build)`);
  return specs[0] === undefined ? undefined : parseExporter(specs[0]);
}

async function build(builder: Builder, req: BuildRequest, traces: SecretTraces, ctx: CommandContext, { quiet, reportCached }: { quiet: boolean; reportCached: boolean }): Promise<string> {
  const spec = buildCommandSpec(builder, req);
  const env = { ...childEnv("build", ctx.env, traces, { clouds: buildClouds(ctx.env) }), ...spec.env };
  ctx.io.info(`building with ${builder.kind === "buildx" ? "docker buildx" : "docker build (BuildKit)"} ${builder.clientVersion} (${builder.docker})`);
  const held = quiet ? heldLog() : undefined;
  const outcome = await runBuild(
    { ...spec, env, inheritEnv: false, cwd: ctx.cwd },
    { log: held?.stream ?? ctx.io.err, iidfile: req.iidfile, signal: ctx.signal, forwardSignal: () => ctx.signalName() ?? "SIGINT" },
  ).catch(async (error: unknown) => {
    // -q: the log is shown only when it explains a failure (as docker build -q does).
    if (held !== undefined) await new Promise<void>((done) => ctx.io.err.write(held.text(), () => done()));
    throw error;
  });
  if (outcome.kind === "interrupted") throw interruptedError(ctx.signalName() ?? "SIGINT");
  if (reportCached && outcome.cachedSecretSteps.length > 0) {
    ctx.io.warn(
      `step ${outcome.cachedSecretSteps.join(", ")} (RUN with a secret mount) came from the build cache: it ran in an earlier build, ` +
        "with the secret values of that time, which the audit does not know. Rebuild with --no-cache to audit it for the current values",
    );
  }
  return outcome.imageId;
}

async function scanBuilt(
  imageId: string,
  ref: string,
  docker: string,
  options: BuildOptions,
  policy: ScanPolicy | undefined,
  traces: SecretTraces,
  { secrets, needles, rules, prechecks }: { readonly secrets: readonly ResolvedSecret[]; readonly needles: NeedleTable; readonly rules: readonly CompiledRule[]; readonly prechecks: PrecheckReport },
  noted: NotedWarnings,
  dockerfileText: string | undefined,
): Promise<number> {
  const { ctx } = noted;
  const [{ scanImage }, { applyPolicy, scanExitCode }, { createProgress }, { toolVersion }, { writeReport }, { withDockerfileLines }] = await Promise.all([
    import("../scan/scan-image.js"),
    import("../config/apply-policy.js"),
    import("../report/progress.js"),
    import("../report/tool-version.js"),
    import("./report-output.js"),
    import("./dockerfile-lines.js"),
  ]);
  const dockerfilePath = dockerfilePathOf(options, ctx);
  const progress = ctx.io.interactive ? createProgress(ctx.io.err, imageId) : undefined;
  try {
    // The image id names exactly what was built, whatever --platform said (a list, even).
    const result = await scanImage({
      ref,
      docker,
      secrets,
      // the needles compiled for the checks before the build hold no rule keywords
      needles: rules.length === 0 ? needles : undefined,
      rules,
      env: ctx.env,
      childEnv: childEnv("export", ctx.env, traces),
      cwd: ctx.cwd,
      signal: ctx.signal,
      progress,
    }).catch(interruptedOr(ctx));
    progress?.done();
    throwIfInterrupted(ctx);
    for (const warning of result.warnings) ctx.io.warn(warning);
    const lined = withDockerfileLines(
      result.findings,
      dockerfileText === undefined ? undefined : { path: dockerfilePath, text: dockerfileText },
      options.target,
      buildArgMap(options.buildArgs, ctx.env),
    );
    const outcome = applyPolicy(lined, policy);
    await writeReport(
      {
        // Reports name the image as the user did (its first tag); the id stays exact.
        result: { ...result, image: { ref: options.tags[0] ?? imageId, id: result.image.id ?? imageId }, findings: outcome.findings, warnings: noted.withScan(result.warnings) },
        ignored: outcome.ignored,
        secrets: secrets.map((s) => ({ id: s.id, source: s.kind })),
        rules: rules.length,
        toolVersion: toolVersion(),
        dockerfile: dockerfilePath,
        prechecks,
      },
      options,
      ctx,
    );
    return scanExitCode(outcome, result.notSearched.length, policy);
  } finally {
    progress?.done();
  }
}

async function writeIidfile(file: string, imageId: string, ctx: CommandContext): Promise<void> {
  await writeFile(resolve(ctx.cwd, file), imageId).catch((error: unknown) => {
    throw inputError(`cannot write --iidfile ${file}: ${describeFsError(error)}`, error);
  });
}

function sweepStale(ctx: CommandContext): void {
  const removed = sweepStaleDirs(tempRootCandidates(ctx.env));
  if (removed.length > 0) ctx.io.info(`removed ${removed.length} secret director${removed.length === 1 ? "y" : "ies"} left by a killed run`);
}


/** A step that failed because we were interrupted reports the interruption, not its own error. */
const interruptedOr =
  (ctx: CommandContext) =>
  (error: unknown): never => {
    throwIfInterrupted(ctx);
    throw error;
  };

