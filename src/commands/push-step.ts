import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Builder } from "../buildkit/builder.js";
import { heldLog } from "../buildkit/held-log.js";
import { buildClouds } from "../docker/credential-helpers.js";
import { usageError } from "../errors.js";
import { pushWithDocker, type Pushed } from "../push/docker-push.js";
import { buildMetadata, writeMetadataFile, type BuildFacts } from "../push/metadata-file.js";
import { pushOciLayout, resolveSkopeo } from "../push/oci-push.js";
import type { OciResult } from "../push/oci-result.js";
import { pushTargets, type PushTargets } from "../push/push-targets.js";
import { verifyPushed } from "../push/verify-pushed.js";
import { childEnv, type SecretTraces } from "../secrets/child-env.js";
import type { BuildOptions, CommandContext } from "./context.js";

/** `--push`'s preconditions, checked before anything runs: the tags to push, or undefined without --push. */
export function checkPush(options: BuildOptions): PushTargets | undefined {
  if (!options.push) return undefined;
  if (!options.scan) throw usageError("--push with --no-scan: safebuild pushes only an image it audited; drop --no-scan (or push yourself)");
  if (options.exporters.length > 0) throw usageError(`--push with -o ${options.exporters[0] ?? ""}: with --push safebuild chooses the export the audit reads and the push sends; drop -o`);
  return pushTargets(options.tags);
}

/**
 * How the audited image reaches the registry. An image in the engine (docker's own builder,
 * buildx's docker driver) is pushed with `docker push`; any other buildx driver writes an OCI
 * layout that is scanned, then uploaded unchanged with skopeo (docs/push.md says why).
 */
export type PushRoute = { readonly kind: "engine" } | { readonly kind: "oci-layout"; readonly skopeo: string; readonly dir: string; dispose(): void };

export function pushRoute(builder: Builder, env: NodeJS.ProcessEnv): PushRoute {
  if (builder.kind !== "buildx" || !builder.load) return { kind: "engine" };
  const skopeo = resolveSkopeo(env);
  const parent = mkdtempSync(path.join(env["TMPDIR"] || tmpdir(), "safebuild-push-"));
  return { kind: "oci-layout", skopeo, dir: path.join(parent, "layout"), dispose: () => rmSync(parent, { recursive: true, force: true }) };
}

/**
 * Pushes every target tag after a clean scan; the log goes through the masker like the build's
 * (held back with -q unless it fails). Each reported digest is then asked of its registry.
 */
export async function pushImage(route: PushRoute, oci: OciResult | undefined, targets: PushTargets, docker: string, traces: SecretTraces, quiet: boolean, insecure: readonly string[], ctx: CommandContext): Promise<Pushed[]> {
  const held = quiet ? heldLog() : undefined;
  const run = {
    docker,
    env: childEnv("push", ctx.env, traces, { clouds: buildClouds(ctx.env) }),
    cwd: ctx.cwd,
    log: held?.stream ?? ctx.io.err,
    signal: ctx.signal,
    killSignal: () => ctx.signalName() ?? "SIGINT",
  };
  if (targets.local.length > 0) ctx.io.info(`not pushed (no registry in the name): ${targets.local.join(", ")}`);
  const pushing = route.kind === "engine" || oci === undefined ? pushWithDocker(targets.pushed, run) : pushOciLayout(route.dir, oci, targets.pushed, { ...run, skopeo: route.skopeo });
  const pushed = await pushing.catch(async (error: unknown) => {
    if (held !== undefined) await new Promise<void>((done) => ctx.io.err.write(held.text(), () => done()));
    throw error;
  });
  await verifyPushed(pushed, { insecure, env: ctx.env, helperEnv: childEnv("build", ctx.env, traces, { clouds: buildClouds(ctx.env) }), signal: ctx.signal, sensitive: (value) => ctx.masker.addSensitive(value) });
  for (const p of pushed) ctx.io.info(`pushed ${p.tag}@${p.descriptor.digest}`);
  const digests = new Set(pushed.map((p) => p.descriptor.digest));
  if (digests.size > 1) ctx.io.warn(`the registries hold different manifests for the same image (${[...digests].join(", ")}); --metadata-file names the first`);
  return pushed;
}

/** `--metadata-file`: what buildx would write for this result. */
export async function writeBuildMetadata(file: string, imageId: string, oci: OciResult | undefined, pushed: readonly Pushed[] | undefined, tags: readonly string[], cwd: string): Promise<void> {
  const first = pushed?.[0]?.descriptor ?? oci?.descriptor;
  const facts: BuildFacts = {
    configDigest: oci === undefined ? imageId : oci.configDigest,
    imageDigest: first?.digest ?? imageId,
    descriptor: first,
    names: pushed === undefined ? tags : pushed.map((p) => p.tag),
  };
  await writeMetadataFile(file, buildMetadata(facts), cwd);
}
