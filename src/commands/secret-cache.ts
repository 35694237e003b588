import { join, resolve } from "node:path";
import type { Builder } from "../buildkit/builder.js";
import { builderCacheDir } from "../buildkit/builder-cache.js";
import { cacheBust } from "../buildkit/cache-bust.js";
import type { DockerfileCheck } from "../buildkit/preflight.js";
import { compareFingerprints } from "../buildkit/secret-fingerprints.js";
import { describeFsError } from "../errors.js";
import type { ResolvedSecret } from "../secrets/secret.js";
import type { BuildOptions, CommandContext } from "./context.js";

export interface SecretCachePlan {
  /** Builder flags that drop the cache of steps whose secret changed. */
  readonly flags: readonly string[];
  /** Whether cached secret steps are only reported (`--cache-secrets`, or no fingerprints kept). */
  readonly reportCached: boolean;
  /** After a successful build: remember the values the cache now holds. */
  record(): void;
}

const REPORT_ONLY: SecretCachePlan = { flags: [], reportCached: true, record: () => undefined };

/**
 * A cache that follows the secrets (docs/cli.md): steps mounting a secret whose value changed
 * since the last build run again; `--cache-secrets` keeps BuildKit's behaviour, with the warning.
 * Without a cache dir or a local Dockerfile nothing can be compared, so the same warning stands.
 */
export function planSecretCache(options: BuildOptions, check: DockerfileCheck, builder: Builder, secrets: readonly ResolvedSecret[], ctx: CommandContext): SecretCachePlan {
  const dir = builderCacheDir(ctx.env);
  if (options.cacheSecrets || dir === undefined || check.dockerfile === undefined || secrets.length === 0) return REPORT_ONLY;
  const dockerfile = resolve(ctx.cwd, options.file ?? join(options.context, "Dockerfile"));
  let fingerprints;
  try {
    fingerprints = compareFingerprints(dir, { builder, dockerfile, target: options.target, env: ctx.env }, secrets);
  } catch (error) {
    ctx.io.warn(`cannot keep secret fingerprints in ${dir} (${describeFsError(error)}): cached steps with a secret mount are reported, not run again`);
    return REPORT_ONLY;
  }
  const bust = cacheBust(check.mounts, fingerprints.changes, builder, options.noCache);
  if (bust.message !== undefined) ctx.io.warn(bust.message);
  return { flags: bust.flags, reportCached: false, record: () => fingerprints.record() };
}
