import { environmentError } from "../errors.js";
import type { ImageDescriptor } from "./metadata-file.js";
import { alreadyPushed, runPushChild, type PushRun } from "./push-child.js";
import { pushedDigestWatcher } from "./pushed-digest.js";

/** docker 20.10 pushes an engine image as a schema 2 manifest, whatever built it. */
const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";

export interface Pushed {
  readonly tag: string;
  readonly descriptor: ImageDescriptor;
}

/** `docker push TAG` for each tag, one after another; the first failure stops the rest. */
export async function pushWithDocker(tags: readonly string[], run: PushRun): Promise<Pushed[]> {
  const pushed: Pushed[] = [];
  for (const tag of tags) {
    const watcher = pushedDigestWatcher();
    const done = pushed.map((p) => p.tag);
    await runPushChild("docker push", tag, run.docker, ["push", tag], run, done, (chunk) => watcher.write(chunk));
    const found = watcher.result();
    if (found === undefined) throw environmentError(`the push of ${tag} reported no digest (docker push printed no "digest: sha256:…" line)${alreadyPushed(done)}`);
    pushed.push({ tag, descriptor: { mediaType: DOCKER_MANIFEST, digest: found.digest, size: found.size } });
  }
  return pushed;
}
