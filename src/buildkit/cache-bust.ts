import type { Builder } from "./builder.js";
import type { SecretMount } from "./secret-mounts.js";
import type { SecretChange } from "./secret-fingerprints.js";

export interface CacheBust {
  /** Builder flags that make the steps mounting a changed secret run again; empty: keep the cache. */
  readonly flags: readonly string[];
  /** The one line that says so; undefined when nothing changed. */
  readonly message: string | undefined;
}

const SCOPE = "with this builder, Dockerfile and target";
const listed = (ids: readonly string[]): string => `secret${ids.length === 1 ? "" : "s"} ${ids.join(", ")}`;

/** "secret npmrc changed since the last build with this builder, Dockerfile and target" */
function describe(ids: readonly string[], changes: ReadonlyMap<string, SecretChange>): string {
  const changed = ids.filter((id) => changes.get(id) === "changed");
  const unseen = ids.filter((id) => changes.get(id) === "new");
  return [
    ...(changed.length > 0 ? [`${listed(changed)} changed since the last build ${SCOPE}`] : []),
    ...(unseen.length > 0 ? [`${listed(unseen)} not seen in an earlier build ${SCOPE}`] : []),
  ].join("; ");
}

const KEEP: CacheBust = { flags: [], message: undefined };

/**
 * Which cache to drop for secrets that changed since the last build (secret-fingerprints.ts).
 * `--no-cache-filter` re-runs only the stages that mount one, where the builder takes it
 * (buildx 0.8+) and each such stage has a name; otherwise the whole build runs with
 * `--no-cache`. A mount whose id is a variable may be any secret, so any change counts for it.
 */
export function cacheBust(mounts: readonly SecretMount[], changes: ReadonlyMap<string, SecretChange>, builder: Builder, noCache: boolean): CacheBust {
  const hit = mounts.filter((m) => m.reachable && (m.dynamic ? changes.size > 0 : changes.has(m.id)));
  if (hit.length === 0 || noCache) return KEEP;
  const ids = [...new Set(hit.flatMap((m) => (m.dynamic ? [...changes.keys()] : [m.id])))];
  const why = describe(ids, changes);
  const stages = [...new Set(hit.map((m) => m.stage))];
  const named = stages.filter((s): s is string => s !== undefined);
  if (builder.noCacheFilter === true && named.length === stages.length) {
    return { flags: named.flatMap((s) => ["--no-cache-filter", s]), message: `${why}: stage${named.length === 1 ? "" : "s"} ${named.join(", ")} run${named.length === 1 ? "s" : ""} again (--no-cache-filter)` };
  }
  const reason = builder.noCacheFilter === true ? "a stage that mounts it has no name for --no-cache-filter" : `docker ${builder.clientVersion}'s builder has no --no-cache-filter`;
  return { flags: ["--no-cache"], message: `${why}: building with --no-cache (${reason})` };
}
