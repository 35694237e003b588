import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";

/** A named context's docker endpoint, as the CLI stores it. */
export interface ContextEndpoint {
  readonly name: string;
  readonly host: string;
  /** `Endpoints.docker.SkipTLSVerify` in meta.json: TLS without checking the engine's certificate */
  readonly skipTLSVerify: boolean;
  /** where the CLI keeps the endpoint's TLS files (ca.pem, cert.pem, key.pem; each optional) */
  readonly tlsDir: string;
}

/**
 * The docker endpoint of the CLI's current context, when DOCKER_HOST is unset: the build went
 * through the CLI, so the scan must read the same engine (Docker Desktop, rootless Docker and
 * `docker context use` all put it somewhere other than /var/run/docker.sock). Read from the
 * CLI's own files (`DOCKER_CONTEXT`, else `currentContext` in config.json; meta.json and the TLS
 * files sit under the sha256 of the name), so no docker binary is needed. Undefined for the
 * default context or anything unreadable.
 */
export function contextEndpoint(env: NodeJS.ProcessEnv): ContextEndpoint | undefined {
  const configDir = dockerConfigDir(env);
  const name = env["DOCKER_CONTEXT"] || currentContext(configDir);
  if (name === undefined || name === "" || name === "default") return undefined;
  const digest = createHash("sha256").update(name).digest("hex");
  const meta = readJson(path.join(configDir, "contexts", "meta", digest, "meta.json"));
  const docker = (meta as { Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } } } | undefined)?.Endpoints?.docker;
  const host = docker?.Host;
  if (typeof host !== "string" || host === "") return undefined;
  return { name, host, skipTLSVerify: docker?.SkipTLSVerify === true, tlsDir: path.join(configDir, "contexts", "tls", digest, "docker") };
}

/** The engine address of the CLI's current context (see contextEndpoint). */
export const contextDockerHost = (env: NodeJS.ProcessEnv): string | undefined => contextEndpoint(env)?.host;

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
