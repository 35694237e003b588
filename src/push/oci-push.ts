import { readFile } from "node:fs/promises";
import path from "node:path";
import { findOnPath } from "../docker/cli-path.js";
import { environmentError, interruptedError } from "../errors.js";
import { streamCommand } from "../process/run.js";
import { forwardWithoutEnd } from "../buildkit/log-sink.js";
import type { Pushed, PushRun } from "./docker-push.js";
import type { OciResult } from "./oci-result.js";
import { isLoopbackRegistry, registryHostOf } from "./push-targets.js";

/** `$SAFEBUILD_SKOPEO`, else `skopeo` on PATH; checked before the build (exit 4 without it). */
export function resolveSkopeo(env: NodeJS.ProcessEnv): string {
  const chosen = env["SAFEBUILD_SKOPEO"];
  if (chosen !== undefined && chosen !== "") return chosen;
  const found = findOnPath("skopeo", env["PATH"])[0];
  if (found === undefined) {
    throw environmentError("--push with a buildx builder that is not the docker driver uploads the audited OCI layout with skopeo, which is not on PATH (apt-get install skopeo, or set SAFEBUILD_SKOPEO)");
  }
  return found;
}

/** The skopeo command that uploads exactly the audited bytes (every platform, digests kept) to `tag`. */
export function skopeoCopyArgs(layoutDir: string, tag: string, digestFile: string): string[] {
  const host = registryHostOf(tag) ?? "";
  // docker talks plain HTTP to loopback registries unasked; skopeo must be told.
  const tls = isLoopbackRegistry(host) ? ["--dest-tls-verify=false"] : [];
  return ["copy", "--all", "--preserve-digests", ...tls, "--digestfile", digestFile, `oci:${layoutDir}`, `docker://${tag}`];
}

/**
 * Uploads the OCI layout the scan read, unchanged, to each tag. The digest skopeo reports
 * must be the layout's own: anything else would publish bytes the audit did not see.
 */
export async function pushOciLayout(layoutDir: string, result: OciResult, tags: readonly string[], run: PushRun & { readonly skopeo: string }): Promise<Pushed[]> {
  const pushed: Pushed[] = [];
  const digestFile = path.join(path.dirname(layoutDir), "pushed-digest");
  for (const tag of tags) {
    const outcome = await streamCommand(
      { command: run.skopeo, args: skopeoCopyArgs(layoutDir, tag, digestFile), env: run.env, inheritEnv: false, cwd: run.cwd },
      { signal: run.signal, killSignal: run.killSignal, stdout: forwardWithoutEnd(run.log), stderr: forwardWithoutEnd(run.log) },
    );
    if (outcome.aborted || run.signal.aborted) throw interruptedError(run.killSignal());
    if (outcome.spawnError !== undefined) throw environmentError(`cannot run ${run.skopeo}: ${outcome.spawnError.code ?? "failed"}`);
    const done = pushed.length === 0 ? "" : `; already pushed: ${pushed.map((p) => p.tag).join(", ")}`;
    if (outcome.exitCode !== 0) {
      const how = outcome.signal !== undefined ? `was killed by ${outcome.signal}` : `exited with status ${outcome.exitCode ?? "unknown"}`;
      throw environmentError(`the push of ${tag} failed: skopeo copy ${how} (see its message above)${done}`);
    }
    const digest = (await readFile(digestFile, "utf8").catch(() => "")).trim();
    if (digest !== result.descriptor.digest) {
      throw environmentError(`the push of ${tag} stored ${digest === "" ? "an unknown digest" : digest}, not the audited ${result.descriptor.digest}${done}`);
    }
    pushed.push({ tag, descriptor: result.descriptor });
  }
  return pushed;
}
