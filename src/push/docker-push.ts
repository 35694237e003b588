import type { Writable } from "node:stream";
import { environmentError, interruptedError } from "../errors.js";
import { streamCommand } from "../process/run.js";
import { forwardWithoutEnd } from "../buildkit/log-sink.js";
import type { ImageDescriptor } from "./metadata-file.js";
import { pushedDigestWatcher } from "./pushed-digest.js";

/** docker 20.10 pushes an engine image as a schema 2 manifest, whatever built it. */
const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";

export interface PushRun {
  readonly docker: string;
  /** The child's whole environment (secrets/child-env.ts, purpose `push`). */
  readonly env: Record<string, string>;
  readonly cwd: string;
  /** The masked stream the push log goes to. */
  readonly log: Writable;
  readonly signal: AbortSignal;
  readonly killSignal: () => NodeJS.Signals;
}

export interface Pushed {
  readonly tag: string;
  readonly descriptor: ImageDescriptor;
}

/**
 * `docker push TAG` for each tag, one after another, log streamed (masked by the caller's
 * stream). The first failure stops the rest: exit 4, one line; docker's own message is above it.
 */
export async function pushWithDocker(tags: readonly string[], run: PushRun): Promise<Pushed[]> {
  const pushed: Pushed[] = [];
  for (const tag of tags) {
    const watcher = pushedDigestWatcher();
    const result = await streamCommand(
      { command: run.docker, args: ["push", tag], env: run.env, inheritEnv: false, cwd: run.cwd },
      { signal: run.signal, killSignal: run.killSignal, stdout: forwardWithoutEnd(run.log, (c) => watcher.write(c)), stderr: forwardWithoutEnd(run.log) },
    );
    if (result.aborted || run.signal.aborted) throw interruptedError(run.killSignal());
    if (result.spawnError !== undefined) throw environmentError(`cannot run ${run.docker}: ${result.spawnError.code ?? "failed"}`);
    const done = alreadyPushedNote(pushed);
    if (result.exitCode !== 0) {
      const how = result.signal !== undefined ? `was killed by ${result.signal}` : `exited with status ${result.exitCode ?? "unknown"}`;
      throw environmentError(`the push of ${tag} failed: docker push ${how} (see its message above)${done}`);
    }
    const found = watcher.result();
    if (found === undefined) throw environmentError(`the push of ${tag} reported no digest (docker push printed no "digest: sha256:…" line)${done}`);
    pushed.push({ tag, descriptor: { mediaType: DOCKER_MANIFEST, digest: found.digest, size: found.size } });
  }
  return pushed;
}

const alreadyPushedNote = (pushed: readonly Pushed[]): string => (pushed.length === 0 ? "" : `; already pushed: ${pushed.map((p) => p.tag).join(", ")}`);
