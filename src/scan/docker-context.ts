import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";

/**
 * The engine address of the docker CLI's current context, when DOCKER_HOST is unset: the
 * build went through the CLI, so the scan must read the same engine (Docker Desktop, rootless
 * Docker and `docker context use` all put it somewhere other than /var/run/docker.sock).
 * Read from the CLI's own files (`DOCKER_CONTEXT`, else `currentContext` in config.json; the
 * context's meta.json sits under the sha256 of its name), so no docker binary is needed.
 * Undefined for the default context or anything unreadable.
 */
export function contextDockerHost(env: NodeJS.ProcessEnv): string | undefined {
  const configDir = dockerConfigDir(env);
  const name = env["DOCKER_CONTEXT"] ?? currentContext(configDir);
  if (name === undefined || name === "" || name === "default") return undefined;
  const digest = createHash("sha256").update(name).digest("hex");
  const meta = readJson(path.join(configDir, "contexts", "meta", digest, "meta.json"));
  const host = (meta as { Endpoints?: { docker?: { Host?: unknown } } } | undefined)?.Endpoints?.docker?.Host;
  return typeof host === "string" && host !== "" ? host : undefined;
}

/** The docker CLI's config directory: `$DOCKER_CONFIG`, else `~/.docker` (an empty variable counts as unset, as for the CLI). */
export function dockerConfigDir(env: NodeJS.ProcessEnv): string {
  return env["DOCKER_CONFIG"] || path.join(env["HOME"] || homedir(), ".docker");
}

function currentContext(configDir: string): string | undefined {
  const config = readJson(path.join(configDir, "config.json"));
  const name = (config as { currentContext?: unknown } | undefined)?.currentContext;
  return typeof name === "string" ? name : undefined;
}

/** A small JSON file of the CLI's (or ours), or undefined when missing, unreadable or not JSON. */
export function readJson(file: string): unknown {
  try {
    const text = readFileSync(file, "utf8");
    // Both files are small; a huge one is not the CLI's.
    return text.length > 1024 * 1024 ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
}
