import { closest } from "../did-you-mean.js";
import { inputError } from "../errors.js";
import type { SecretMount } from "./secret-mounts.js";

/**
 * Cross-checks the Dockerfile's secret mounts against the secrets given. BuildKit itself
 * silently runs a RUN without a missing optional secret (and, with `required=true`, fails
 * only deep in the build), so these are caught before anything starts.
 * Throws for a required mount with no secret; returns warnings for the rest.
 */
export function checkSecretMounts(mounts: readonly SecretMount[], secretIds: readonly string[], dockerfile: string): string[] {
  const given = new Set(secretIds);
  const built = mounts.filter((m) => m.reachable && !m.dynamic);
  throwIfMistyped(built, secretIds, given, dockerfile);
  const missingRequired = built.find((m) => m.required && !given.has(m.id));
  if (missingRequired !== undefined) {
    throw inputError(
      `secret "${missingRequired.id}" is required by RUN --mount at ${dockerfile}:${missingRequired.line} but no --secret gives it (add --secret ${missingRequired.id}=PATH)`,
    );
  }
  const warnings: string[] = [];
  const warned = new Set<string>();
  for (const m of built) {
    if (given.has(m.id) || warned.has(m.id)) continue;
    warned.add(m.id);
    warnings.push(`${dockerfile}:${m.line} mounts secret "${m.id}" but no --secret gives it: that RUN will run without ${m.target ?? `$${m.env ?? ""}`}`);
  }
  // A mount whose id is only known at build time might use any secret.
  if (mounts.some((m) => m.reachable && m.dynamic)) return warnings;
  const used = new Set(built.map((m) => m.id));
  for (const id of secretIds) {
    if (!used.has(id)) warnings.push(`secret "${id}" is not mounted by any RUN --mount=type=secret in ${dockerfile}: the build will not see it`);
  }
  return warnings;
}

/**
 * `--secret npmcr=…` where the Dockerfile mounts `npmrc`: two warnings and, with a cached step,
 * exit 0 hid the typo. A given id nothing mounts, one or two edits from a mounted id nothing
 * gives, is a mistake: stop before the build.
 */
function throwIfMistyped(built: readonly SecretMount[], secretIds: readonly string[], given: ReadonlySet<string>, dockerfile: string): void {
  const mounted = new Set(built.map((m) => m.id));
  const wanted = [...mounted].filter((id) => !given.has(id));
  for (const id of secretIds) {
    if (mounted.has(id)) continue;
    const meant = closest(id, wanted);
    const mount = built.find((m) => m.id === meant);
    if (meant !== undefined && mount !== undefined) {
      throw inputError(`--secret ${id}: no RUN mounts "${id}"; did you mean "${meant}" (mounted at ${dockerfile}:${mount.line})?`);
    }
  }
}
