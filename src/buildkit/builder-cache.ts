import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { dockerConfigDir, readJson } from "../docker/context.js";
import type { Builder } from "./builder.js";
import { writeCacheFile } from "./cache-file.js";

/**
 * What the builder probes found, remembered per docker CLI. The probes (`docker version`,
 * `docker buildx version`, `docker buildx inspect`) are two or three Go processes, most of
 * safebuild's fixed cost on a build; their answers change only when the CLI, its plugins, its
 * configuration or the engine address do, so all of those are in the key. Nothing secret is
 * stored: the CLI path, its version, the backend kind.
 */

/** `$SAFEBUILD_CACHE_DIR` (set but empty: no cache), else `$XDG_CACHE_HOME/safebuild`, else `~/.cache/safebuild`. */
export function builderCacheDir(env: NodeJS.ProcessEnv): string | undefined {
  const explicit = env["SAFEBUILD_CACHE_DIR"];
  if (explicit !== undefined) return explicit === "" ? undefined : explicit;
  const xdg = env["XDG_CACHE_HOME"];
  const home = env["HOME"] || homedir();
  return xdg ? join(xdg, "safebuild") : home ? join(home, ".cache", "safebuild") : undefined;
}

/** Where the CLI looks for plugins (docker/cli's defaultSystemPluginDirs, plus the user's). */
const SYSTEM_PLUGIN_DIRS = [
  "/usr/local/lib/docker/cli-plugins",
  "/usr/local/libexec/docker/cli-plugins",
  "/usr/lib/docker/cli-plugins",
  "/usr/libexec/docker/cli-plugins",
];
const KEY_ENV = [
  "DOCKER_HOST",
  "DOCKER_CONTEXT",
  "DOCKER_CONFIG",
  "DOCKER_CLI_PLUGIN_EXTRA_DIRS",
  "BUILDX_BUILDER",
  "BUILDX_CONFIG",
  "DOCKER_TLS_VERIFY",
  "DOCKER_CERT_PATH",
  "HOME",
];

function stamp(path: string): string {
  try {
    const info = statSync(path);
    return `${info.ino}:${info.size}:${info.mtimeMs}`;
  } catch {
    return "-";
  }
}

/** `cliPluginsExtraDirs` of the CLI's config.json: more places a buildx plugin may live. */
function configPluginDirs(configFile: string): string[] {
  const dirs = (readJson(configFile) as { cliPluginsExtraDirs?: unknown } | undefined)?.cliPluginsExtraDirs;
  return Array.isArray(dirs) ? dirs.filter((d): d is string => typeof d === "string") : [];
}

/** Everything the probes' answers depend on, hashed; changes to any of it mean probing again. */
export function builderCacheKey(docker: string, env: NodeJS.ProcessEnv): string {
  const configDir = dockerConfigDir(env);
  const configFile = join(configDir, "config.json");
  const buildxDir = env["BUILDX_CONFIG"] || join(configDir, "buildx");
  const pluginDirs = [
    join(configDir, "cli-plugins"),
    ...SYSTEM_PLUGIN_DIRS,
    ...(env["DOCKER_CLI_PLUGIN_EXTRA_DIRS"] ?? "").split(",").filter(Boolean),
    ...configPluginDirs(configFile),
  ];
  const watched = [
    docker,
    configDir,
    configFile,
    join(buildxDir, "current"),
    join(buildxDir, "instances"),
    join(configDir, "contexts", "meta"),
    // The directory and the plugin itself: stat follows a symlinked plugin to its target.
    ...pluginDirs.flatMap((dir) => [dir, join(dir, "docker-buildx")]),
  ];
  const parts = [...KEY_ENV.map((name) => `${name}=${env[name] ?? ""}`), ...watched.map((path) => `${path}@${stamp(path)}`)];
  return createHash("sha256").update(parts.join("\n")).digest("hex");
}

const FILE = "builders.json";
const MAX_ENTRIES = 32;

type Entries = Record<string, Builder | undefined>;

function readEntries(dir: string): Entries {
  const parsed = readJson(join(dir, FILE));
  return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Entries) : {};
}

function isBuilder(value: unknown, docker: string): value is Builder {
  if (value === null || typeof value !== "object") return false;
  const b = value as Record<string, unknown>;
  return (
    (b["kind"] === "buildx" || b["kind"] === "classic-buildkit") &&
    b["docker"] === docker &&
    typeof b["clientVersion"] === "string" &&
    typeof b["load"] === "boolean" &&
    (b["noCacheFilter"] === undefined || typeof b["noCacheFilter"] === "boolean")
  );
}

export function readCachedBuilder(dir: string, key: string, docker: string): Builder | undefined {
  const entry = readEntries(dir)[key];
  if (!isBuilder(entry, docker)) return undefined;
  const { kind, clientVersion, load, noCacheFilter } = entry;
  return noCacheFilter === undefined ? { kind, docker, clientVersion, load } : { kind, docker, clientVersion, load, noCacheFilter };
}

/** Forgets what was remembered for one docker CLI (a build through it failed: maybe the answer is stale). */
export function forgetCachedBuilders(dir: string, docker: string): void {
  const entries = readEntries(dir);
  const kept = Object.entries(entries).filter(([, builder]) => builder?.docker !== docker);
  if (kept.length !== Object.keys(entries).length) store(dir, Object.fromEntries(kept));
}

/** Best effort: a cache that cannot be written only means probing next time too. */
export function writeCachedBuilder(dir: string, key: string, builder: Builder): void {
  const entries = Object.entries(readEntries(dir)).filter(([k]) => k !== key).slice(-(MAX_ENTRIES - 1));
  store(dir, Object.fromEntries([...entries, [key, builder]]));
}

/** Not written (read-only home, full disk): the probes remain the source of truth. */
function store(dir: string, entries: Entries): void {
  writeCacheFile(dir, FILE, entries);
}
