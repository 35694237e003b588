import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { describeFsError, inputError, usageError } from "../errors.js";

export interface DockerfileRef {
  /** Absolute path of the Dockerfile. */
  readonly path: string;
  /** As the user named it, for messages. */
  readonly display: string;
}

const REMOTE_CONTEXT = /^([a-z][a-z0-9+.-]*:\/\/|git@)/i;
/** Dockerfiles are small; a huge one is not a Dockerfile. */
const MAX_DOCKERFILE_BYTES = 4 * 1024 * 1024;

export const isRemoteContext = (context: string): boolean => REMOTE_CONTEXT.test(context);

/** `-f` is relative to the current directory (as docker reads it); the default is CONTEXT/Dockerfile. */
export async function locateDockerfile(cwd: string, context: string, file: string | undefined): Promise<DockerfileRef> {
  if (context === "-" || file === "-") throw usageError("reading the build context or the Dockerfile from stdin is not supported");
  const contextDir = resolve(cwd, context);
  const contextStat = await stat(contextDir).catch((error: unknown) => {
    throw inputError(`build context ${context}: ${describeFsError(error)}`, error);
  });
  if (!contextStat.isDirectory()) throw inputError(`build context ${context}: not a directory`);
  if (file !== undefined) return { path: resolve(cwd, file), display: file };
  return { path: resolve(contextDir, "Dockerfile"), display: `${context.replace(/\/+$/, "") || "/"}/Dockerfile` };
}

export async function readDockerfile(ref: DockerfileRef): Promise<string> {
  const bytes = await readFile(ref.path).catch((error: unknown) => {
    throw inputError(`Dockerfile ${ref.display}: ${describeFsError(error)}`, error);
  });
  if (bytes.length > MAX_DOCKERFILE_BYTES) throw inputError(`Dockerfile ${ref.display}: larger than 4 MiB`);
  return bytes.toString("utf8");
}
