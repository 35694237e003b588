import { inputError } from "../errors.js";
import { locateDockerfile, isRemoteContext, readDockerfile } from "./dockerfile-file.js";
import { secretMountErrors, secretMountWarnings } from "./mount-check.js";
import { readRunMounts, type MountProblem, type SecretMount } from "./secret-mounts.js";

export interface DockerfileCheckInput {
  readonly cwd: string;
  readonly context: string;
  readonly file: string | undefined;
  readonly target: string | undefined;
  readonly secretIds: readonly string[];
  /** `--build-arg` entries as given (`K=V`, or a bare `K` docker reads from the environment). */
  readonly buildArgs?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

export interface DockerfileCheck {
  /** Undefined when the context is remote (a git or http URL): nothing to read locally. */
  readonly dockerfile: string | undefined;
  /** Absolute path of the Dockerfile, when local. */
  readonly path?: string;
  /** The Dockerfile's text, when local (the value checks read its ARG/ENV/LABEL lines). */
  readonly text?: string;
  readonly mounts: readonly SecretMount[];
  readonly warnings: readonly string[];
  /** What stops the build: mounts BuildKit refuses, a mistyped or missing required secret. */
  readonly errors: readonly DockerfileError[];
}

export interface DockerfileError {
  readonly line: number;
  readonly message: string;
  /** A `--mount` BuildKit itself refuses (else a secret the mounts and `--secret`s disagree on). */
  readonly refused: boolean;
  /** The secret id concerned, when one is. */
  readonly id: string | undefined;
}

/**
 * Reads the Dockerfile and cross-checks its secret mounts with the secrets given: throws
 * (exit 2) for a missing Dockerfile; lists a `--mount` BuildKit would refuse (its reason, each
 * one with its line) or a required mount without a secret in `errors`, for
 * `throwIfDockerfileErrors` (after the build's report has them); warns otherwise.
 */
export async function checkDockerfile(input: DockerfileCheckInput): Promise<DockerfileCheck> {
  if (isRemoteContext(input.context)) {
    return { dockerfile: undefined, mounts: [], errors: [], warnings: [`the build context ${input.context} is remote: its Dockerfile's secret mounts are not checked`] };
  }
  const ref = await locateDockerfile(input.cwd, input.context, input.file);
  const text = await readDockerfile(ref);
  const { mounts, problems } = readRunMounts(text, { target: input.target, buildArgs: buildArgMap(input.buildArgs ?? [], input.env ?? {}) });
  const refused = problems.filter((p) => p.reachable).map((p) => refusal(p, ref.display));
  const errors = refused.length > 0 ? refused : secretMountErrors(mounts, input.secretIds, ref.display).map((e) => ({ ...e, refused: false }));
  // an error stops the run: its line alone, as before the report carried it
  const warnings = errors.length > 0 ? [] : secretMountWarnings(mounts, input.secretIds, ref.display);
  return { dockerfile: ref.display, path: ref.path, text, mounts, warnings, errors };
}

const refusal = (p: MountProblem, dockerfile: string): DockerfileError => ({ line: p.line, message: `${dockerfile}:${p.line}: RUN --mount: ${p.reason}`, refused: true, id: undefined });

/** BuildKit stops at the first bad mount; all of them are listed here, so one run shows every fix. */
export function throwIfDockerfileErrors(check: DockerfileCheck): void {
  const refused = check.errors.filter((e) => e.refused).map((e) => e.message);
  if (refused.length === 1) throw inputError(`${refused[0] ?? ""} (BuildKit refuses this mount)`);
  if (refused.length > 1) throw inputError(`BuildKit refuses ${refused.length} RUN --mount options:\n  ${refused.join("\n  ")}`);
  const first = check.errors[0];
  if (first !== undefined) throw inputError(first.message);
}

/** `K=V`, or a bare `K` taken from the environment when set there (as docker build does). */
export function buildArgMap(entries: readonly string[], env: NodeJS.ProcessEnv): Map<string, string> {
  const args = new Map<string, string>();
  for (const entry of entries) {
    const eq = entry.indexOf("=");
    if (eq !== -1) args.set(entry.slice(0, eq), entry.slice(eq + 1));
    else if (env[entry] !== undefined) args.set(entry, env[entry] ?? "");
  }
  return args;
}
