import { locateDockerfile, isRemoteContext, readDockerfile } from "./dockerfile-file.js";
import { checkSecretMounts } from "./mount-check.js";
import { secretMountsOf, type SecretMount } from "./secret-mounts.js";

export interface DockerfileCheckInput {
  readonly cwd: string;
  readonly context: string;
  readonly file: string | undefined;
  readonly target: string | undefined;
  readonly secretIds: readonly string[];
}

export interface DockerfileCheck {
  /** Undefined when the context is remote (a git or http URL): nothing to read locally. */
  readonly dockerfile: string | undefined;
  readonly mounts: readonly SecretMount[];
  readonly warnings: readonly string[];
}

/**
 * Reads the Dockerfile and cross-checks its secret mounts with the secrets given: throws
 * (exit 2) for a missing Dockerfile or a required mount without a secret; warns otherwise.
 */
export async function checkDockerfile(input: DockerfileCheckInput): Promise<DockerfileCheck> {
  if (isRemoteContext(input.context)) {
    return { dockerfile: undefined, mounts: [], warnings: [`the build context ${input.context} is remote: its Dockerfile's secret mounts are not checked`] };
  }
  const ref = await locateDockerfile(input.cwd, input.context, input.file);
  const mounts = secretMountsOf(await readDockerfile(ref), input.target);
  return { dockerfile: ref.display, mounts, warnings: checkSecretMounts(mounts, input.secretIds, ref.display) };
}
