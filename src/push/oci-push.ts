import { readFile } from "node:fs/promises";
import path from "node:path";
import { findOnPath } from "../docker/cli-path.js";
import { environmentError } from "../errors.js";
import type { Pushed } from "./docker-push.js";
import { alreadyPushed, runPushChild, type PushRun } from "./push-child.js";
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
    const done = pushed.map((p) => p.tag);
    await runPushChild("skopeo copy", tag, run.skopeo, skopeoCopyArgs(layoutDir, tag, digestFile), run, done);
    const digest = (await readFile(digestFile, "utf8").catch(() => "")).trim();
    if (digest !== result.descriptor.digest) {
      throw environmentError(`the push of ${tag} stored ${digest === "" ? "an unknown digest" : digest}, not the audited ${result.descriptor.digest}${alreadyPushed(done)}`);
    }
    pushed.push({ tag, descriptor: result.descriptor });
  }
  return pushed;
}
