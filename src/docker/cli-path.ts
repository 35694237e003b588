import { accessSync, constants, realpathSync, statSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import { environmentError } from "../errors.js";

export interface DockerCli {
  /** Absolute path of the CLI. */
  readonly path: string;
  /** Where the choice came from, for messages. */
  readonly from: "--docker" | "SAFEBUILD_DOCKER" | "PATH";
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Every executable named `name` on PATH, in PATH order, duplicates (same file) removed. */
export function findOnPath(name: string, pathVar: string | undefined): string[] {
  const seen = new Set<string>();
  const found: string[] = [];
  for (const dir of (pathVar ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    if (!isExecutable(candidate)) continue;
    const real = safeRealpath(candidate);
    if (seen.has(real)) continue;
    seen.add(real);
    found.push(candidate);
  }
  return found;
}

function safeRealpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** `--docker PATH`, then `$SAFEBUILD_DOCKER`, then `docker` on PATH. */
export function resolveDockerCli(explicit: string | undefined, env: NodeJS.ProcessEnv, cwd: string): DockerCli {
  const fromEnv = env["SAFEBUILD_DOCKER"];
  const [choice, from] =
    explicit !== undefined && explicit !== ""
      ? [explicit, "--docker" as const]
      : fromEnv !== undefined && fromEnv !== ""
        ? [fromEnv, "SAFEBUILD_DOCKER" as const]
        : ["docker", "PATH" as const];
  if (choice.includes("/")) {
    const path = resolve(cwd, choice);
    if (!isExecutable(path)) throw environmentError(`the docker CLI ${choice} (from ${from}) does not exist or is not executable`);
    return { path, from };
  }
  const path = findOnPath(choice, env["PATH"])[0];
  if (path === undefined) {
    throw environmentError(
      from === "PATH"
        ? "no docker CLI found on PATH: install Docker (e.g. apt-get install docker.io) or name one with --docker PATH"
        : `the docker CLI ${choice} (from ${from}) is not on PATH`,
    );
  }
  return { path, from };
}
