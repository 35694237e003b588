import { printable } from "../report/printable.js";
import { access } from "node:fs/promises";
import path from "node:path";
import type { Writable } from "node:stream";
import { checkDockerfile, throwIfDockerfileErrors, type DockerfileCheck } from "../buildkit/preflight.js";
import { mergeKeyValues } from "../config/merge-build-options.js";
import { describeSearch } from "../match/structured/describe.js";
import { ExitCode, interruptedError, isSafebuildError } from "../errors.js";
import { resolveSecrets, wipeSecrets } from "../secrets/resolve.js";
import type { ResolvedSecret, SecretRef } from "../secrets/secret.js";
import { providerContext } from "./provider-context.js";
import { prechecks } from "./prechecks.js";
import type { Prechecks } from "../precheck/run-prechecks.js";
import { runConfig } from "./run-config.js";
import { ruleSetOf } from "./rule-set.js";
import type { LoadedConfig } from "../config/loaded-config.js";
import type { NeedleTable } from "../scan/findings/needles.js";
import type { CheckOptions, CommandContext } from "./context.js";

/**
 * `safebuild check`: everything a build does before starting the builder (config, specs, every
 * secret resolved and size-checked, the Dockerfile's mounts cross-checked), then a table of
 * ids, sources, sizes and keyed fingerprints, never values. Every secret is tried, so one run
 * lists every problem. Exit 0, or 2 when anything failed.
 */
export async function checkCommand(options: CheckOptions, ctx: CommandContext): Promise<number> {
  const { config, refs: usable, denied } = await runConfig(
    { ...options, usesBuildContext: options.context === ".", usesBuildFile: options.file === undefined },
    ctx,
  );
  // A secret that needs an --allow is listed like one that failed: check reports every problem in one run.
  const refs = [...usable, ...denied.map((d) => d.ref)];
  const context = options.context === "." && config?.build.context !== undefined ? config.build.context : options.context;
  // The config's path is absolute; messages read better relative to where the user stands.
  const file = options.file ?? (config?.build.file === undefined ? undefined : shortPath(ctx.cwd, config.build.file));
  const target = options.target ?? config?.build.target;
  const buildArgs = mergeKeyValues(config?.build.buildArgs ?? {}, options.buildArgs ?? []);
  const dockerfile = await dockerfileCheck(ctx, context, file, { target, buildArgs }, refs);
  if (dockerfile !== undefined) throwIfDockerfileErrors(dockerfile);
  for (const warning of dockerfile?.warnings ?? []) ctx.io.warn(warning);

  const resolved: ResolvedSecret[] = [];
  const failed: string[] = [];
  const errors = new Map<string, string>();
  const providerCtx = providerContext(ctx, refs);
  try {
    for (const { id, message } of denied) {
      failed.push(id);
      errors.set(id, message);
      await write(ctx.io.err, `safebuild: ${message}\n`);
    }
    for (const ref of usable) {
      try {
        resolved.push(...(await resolveSecrets([ref], providerCtx)));
      } catch (error) {
        if (ctx.signal.aborted) throw interruptedError(ctx.signalName() ?? "SIGINT");
        if (!isSafebuildError(error) || error.kind === "interrupted") throw error;
        failed.push(ref.id);
        errors.set(ref.id, error.message);
        await write(ctx.io.err, `safebuild: ${printable(error.message)}\n`);
      }
    }
    const settings = await settingNeedles(options, config, ctx);
    const checked = await prechecks({ context, buildArgs, target, dockerfile, secrets: resolved, policy: config?.scan, settings, verbose: true }, ctx);
    const problems = checked.findings.filter((f) => f.severity === "error");
    for (const f of problems) await write(ctx.io.err, `safebuild: ${printable(f.message)}\n`);
    if (options.format === "json") await write(ctx.io.out, renderJson(refs, resolved, dockerfile, errors, checked));
    else {
      await write(ctx.io.out, renderTable(refs, resolved, dockerfile));
      if (resolved.length > 0) await write(ctx.io.out, renderSearch(resolved));
    }
    const where = config === undefined ? "" : ` (config ${config.display})`;
    await write(
      ctx.io.err,
      failed.length === 0
        ? `safebuild: ${resolved.length} secret${resolved.length === 1 ? "" : "s"} ready${where}\n`
        : `safebuild: ${failed.length} of ${refs.length} secrets could not be resolved: ${failed.join(", ")}${where}\n`,
    );
    if (problems.length > 0) await write(ctx.io.err, `safebuild: ${problems.length} problem${problems.length === 1 ? "" : "s"} before the build (see above)\n`);
    return failed.length === 0 && problems.length === 0 ? ExitCode.ok : ExitCode.usage;
  } finally {
    wipeSecrets(resolved);
  }
}

/**
 * The settings rules (env-secret) alone, as build judges the Dockerfile's ENV, ARG defaults and
 * LABELs with them before the builder; none with --no-rules. Rule files are loaded (and a rule
 * that does not compile is exit 2) as build would.
 */
async function settingNeedles(options: CheckOptions, config: LoadedConfig | undefined, ctx: CommandContext): Promise<NeedleTable | undefined> {
  const settingRules = ruleSetOf(options, config, ctx).filter((rule) => rule.settings === true);
  if (settingRules.length === 0) return undefined;
  const { buildNeedles } = await import("../scan/findings/needles.js");
  return buildNeedles([], settingRules);
}

/** A Dockerfile given (flag or config) must exist; the default one may be absent (a secrets-only check). */
async function dockerfileCheck(
  ctx: CommandContext,
  context: string,
  file: string | undefined,
  build: { readonly target: string | undefined; readonly buildArgs: readonly string[] },
  refs: readonly SecretRef[],
): Promise<DockerfileCheck | undefined> {
  if (file === undefined) {
    const fallback = path.resolve(ctx.cwd, context, "Dockerfile");
    const exists = await access(fallback).then(
      () => true,
      () => false,
    );
    if (!exists) {
      ctx.io.warn(`no Dockerfile at ${path.join(context, "Dockerfile")}: secret mounts not checked`);
      return undefined;
    }
  }
  return checkDockerfile({ cwd: ctx.cwd, context, file, ...build, secretIds: refs.map((r) => r.id), env: ctx.env });
}

const shortPath = (cwd: string, file: string): string => {
  const relative = path.relative(cwd, file);
  return relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
};

/** Waits for each write, so lines keep their order with the child output written in between. */
const write = (stream: Writable, text: string): Promise<void> =>
  new Promise((resolve, reject) => stream.write(text, (error) => (error ? reject(error) : resolve())));

/** Per secret, what the scan looks for: the whole value, and for a recognised format its credentials only. */
function renderSearch(resolved: readonly ResolvedSecret[]): string {
  return `\nwhat the scan searches:\n${resolved.map((s) => `  ${s.id}: ${describeSearch(s.value.expose())}\n`).join("")}`;
}

const mountsOf = (id: string, dockerfile: DockerfileCheck | undefined) => (dockerfile?.mounts ?? []).filter((m) => m.id === id && m.reachable);

/** `check --format json`: the table's facts for scripts; ids, sizes and fingerprints, never values. */
function renderJson(refs: readonly SecretRef[], resolved: readonly ResolvedSecret[], dockerfile: DockerfileCheck | undefined, errors: ReadonlyMap<string, string>, checked: Prechecks): string {
  const secrets = refs.map((ref) => {
    const secret = resolved.find((s) => s.id === ref.id);
    return {
      id: ref.id,
      source: secret?.kind ?? ref.kind,
      resolved: secret !== undefined,
      bytes: secret === undefined ? null : secret.value.length,
      fingerprint: secret === undefined ? null : secret.value.fingerprint(),
      mountedBy: dockerfile === undefined ? null : mountsOf(ref.id, dockerfile).map((m) => ({ path: dockerfile.dockerfile ?? null, line: m.line })),
      search: secret === undefined ? null : describeSearch(secret.value.expose()),
      error: errors.get(ref.id) ?? null,
    };
  });
  const ok = errors.size === 0 && !checked.findings.some((f) => f.severity === "error");
  const report = { schemaVersion: 1, dockerfile: dockerfile?.dockerfile ?? null, ok, secrets, warnings: [...(dockerfile?.warnings ?? [])], findings: checked.findings, accepted: checked.accepted };
  return `${JSON.stringify(report, null, 2)}\n`;
}

function renderTable(refs: readonly SecretRef[], resolved: readonly ResolvedSecret[], dockerfile: DockerfileCheck | undefined): string {
  const header = ["ID", "SOURCE", "BYTES", "FINGERPRINT", "MOUNTED BY"];
  const rows = refs.map((ref) => {
    const secret = resolved.find((s) => s.id === ref.id);
    const mounts = (dockerfile?.mounts ?? []).filter((m) => m.id === ref.id && m.reachable).map((m) => `${dockerfile?.dockerfile ?? ""}:${m.line}`);
    return [
      ref.id,
      secret?.kind ?? ref.kind,
      secret === undefined ? "-" : String(secret.value.length),
      secret === undefined ? "(unresolved)" : secret.value.fingerprint(),
      dockerfile === undefined ? "(not checked)" : mounts.length === 0 ? "-" : mounts.join(", "),
    ];
  });
  if (rows.length === 0) return "no secrets (give --secret or a secrets: map in safebuild.yml)\n";
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string => `${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ")}\n`;
  return [header, ...rows].map(line).join("");
}

