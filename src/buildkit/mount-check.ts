import { closest } from "../did-you-mean.js";
import { inputError } from "../errors.js";
import type { SecretMount } from "./secret-mounts.js";

/**
 * Cross-checks the Dockerfile's secret mounts against the secrets given. BuildKit itself
 * silently runs a RUN without a missing optional secret (and, with `required=true`, fails
 * only deep in the build), so these are caught before anything starts.
 * `checkSecretMounts` throws the first error; the build collects them all for its report.
 */
export function checkSecretMounts(mounts: readonly SecretMount[], secretIds: readonly string[], dockerfile: string): string[] {
  const first = secretMountErrors(mounts, secretIds, dockerfile)[0];
  if (first !== undefined) throw inputError(first.message);
  return secretMountWarnings(mounts, secretIds, dockerfile);
}

/** A secret mount error: the RUN's line and one line for people. */
export interface MountError {
  readonly id: string;
  readonly line: number;
  readonly message: string;
}

/** A mistyped `--secret` id, then a required mount no `--secret` gives: each stops the build. */
export function secretMountErrors(mounts: readonly SecretMount[], secretIds: readonly string[], dockerfile: string): MountError[] {
  const given = new Set(secretIds);
  const built = mounts.filter((m) => m.reachable && !m.dynamic);
  const errors = mistyped(built, secretIds, given, dockerfile);
  const missingRequired = built.find((m) => m.required && !given.has(m.id));
  if (missingRequired !== undefined) {
    errors.push({
      id: missingRequired.id,
      line: missingRequired.line,
      message: `secret "${missingRequired.id}" is required by RUN --mount at ${dockerfile}:${missingRequired.line} but no --secret gives it (add --secret ${missingRequired.id}=PATH)`,
    });
  }
  return errors;
}

/** Mounts without a secret and secrets without a mount: the build goes on, with a line each. */
export function secretMountWarnings(mounts: readonly SecretMount[], secretIds: readonly string[], dockerfile: string): string[] {
  const given = new Set(secretIds);
  const built = mounts.filter((m) => m.reachable && !m.dynamic);
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
function mistyped(built: readonly SecretMount[], secretIds: readonly string[], given: ReadonlySet<string>, dockerfile: string): MountError[] {
  const mounted = new Set(built.map((m) => m.id));
  const wanted = [...mounted].filter((id) => !given.has(id));
  const errors: MountError[] = [];
  for (const id of secretIds) {
    if (mounted.has(id)) continue;
    const meant = closest(id, wanted);
    const mount = built.find((m) => m.id === meant);
    if (meant !== undefined && mount !== undefined) {
      errors.push({ id, line: mount.line, message: `--secret ${id}: no RUN mounts "${id}"; did you mean "${meant}" (mounted at ${dockerfile}:${mount.line})?` });
    }
  }
  return errors;
}
