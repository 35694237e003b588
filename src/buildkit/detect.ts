import { environmentError } from "../errors.js";
import { childEnv, secretTraces } from "../secrets/child-env.js";
import { firstLine, runCommand, type RunResult } from "../process/run.js";
import type { Builder } from "./builder.js";
import { builderCacheKey, readCachedBuilder, writeCachedBuilder } from "./builder-cache.js";
import { findOnPath, resolveDockerCli, type DockerCli } from "../docker/cli-path.js";
import { pingEngine } from "../docker/ping.js";
import { setupScript } from "../package-root.js";

export interface DetectOptions {
  /** `--docker`, if given. */
  readonly docker: string | undefined;
  /** Where the CLI, its config and the engine are looked up (never given to a child as it is). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The probes' environment; default: the `probe` allowlist of `env` (process/child-env.ts). */
  readonly probeEnv?: Readonly<Record<string, string>> | undefined;
  readonly cwd: string;
  readonly signal?: AbortSignal | undefined;
  /** Where probe results are remembered (see builder-cache.ts); undefined: always probe. */
  readonly cacheDir?: string | undefined;
}

const PROBE_TIMEOUT_MS = 30_000;
/** Docker 23 made buildx the only BuildKit client: `DOCKER_BUILDKIT=1 docker build` needs the plugin. */
const FIRST_BUILDX_ONLY_MAJOR = 23;


/**
 * Finds the docker CLI and how it builds with BuildKit: the buildx plugin when present,
 * else a pre-23 CLI's built-in BuildKit. Also checks that an engine answers. A remembered
 * answer for the same CLI and configuration is used when the engine answers a ping.
 */
export async function detectBuilder(options: DetectOptions): Promise<Builder> {
  const cli = resolveDockerCli(options.docker, options.env, options.cwd);
  const { cacheDir } = options;
  const key = cacheDir === undefined ? undefined : builderCacheKey(cli.path, options.env);
  if (cacheDir !== undefined && key !== undefined) {
    const cached = readCachedBuilder(cacheDir, key, cli.path);
    if (cached !== undefined && (await pingEngine(options.env, options.signal))) return cached;
  }
  const builder = await probeBuilder(cli, options);
  if (cacheDir !== undefined && key !== undefined) writeCachedBuilder(cacheDir, key, builder);
  return builder;
}

/** The probes, in parallel: they cost most of our fixed overhead. */
async function probeBuilder(cli: DockerCli, options: DetectOptions): Promise<Builder> {
  const env = options.probeEnv ?? childEnv("probe", options.env, secretTraces([]));
  const probe = (args: string[]): Promise<RunResult> =>
    runCommand(
      { command: cli.path, args, env, inheritEnv: false },
      { signal: options.signal, timeoutMs: PROBE_TIMEOUT_MS, hotPath: true, output: { kind: "capture", maxBuffer: 1024 * 1024 } },
    );
  const [version, buildx] = await Promise.all([
    probe(["version", "--format", "{{.Client.Version}}\n{{.Server.Version}}"]),
    probe(["buildx", "version"]),
  ]);
  if (version.spawnError !== undefined) {
    throw environmentError(`cannot run the docker CLI ${cli.path}: ${version.spawnError.code ?? "failed"}`);
  }
  const [clientVersion = "", serverVersion = ""] = version.stdout.toString("utf8").split("\n").map((l) => l.trim());
  if (!/^\d+\./.test(clientVersion)) {
    throw environmentError(`${cli.path} does not answer \`docker version\` like a docker CLI (is it one?)`);
  }
  const hasBuildx = buildx.exitCode === 0;
  const major = Number(clientVersion.split(".")[0]);
  if (!hasBuildx && major >= FIRST_BUILDX_ONLY_MAJOR) throw noBuildxError(cli.path, clientVersion, options.env);
  if (version.exitCode !== 0 || serverVersion === "") {
    const reason = firstLine(version.stderr);
    throw environmentError(
      `no Docker engine answers the docker CLI ${cli.path}${reason === "" ? "" : ` (${reason})`}. ` +
        noEngineHint(setupScript()),
    );
  }
  if (!hasBuildx) return { kind: "classic-buildkit", docker: cli.path, clientVersion, load: false };
  const inspect = await probe(["buildx", "inspect"]);
  const driver = /^Driver:\s*(\S+)/m.exec(inspect.stdout.toString("utf8"))?.[1];
  // Only the `docker` driver builds straight into the engine's image store.
  return { kind: "buildx", docker: cli.path, clientVersion, load: driver !== "docker", noCacheFilter: takesNoCacheFilter(buildx.stdout.toString("utf8")) };
}

/** `github.com/docker/buildx v0.10.4 c513d34`: `--no-cache-filter` came in buildx 0.8. */
export function takesNoCacheFilter(buildxVersion: string): boolean {
  const match = /\bv?(\d+)\.(\d+)\.\d+/.exec(buildxVersion);
  if (match === null) return false;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major > 0 || minor >= 8;
}

/** From a checkout, its setup script; installed, what to install and start. */
export function noEngineHint(script: string | undefined): string {
  return script !== undefined
    ? `Start the daemon (\`dockerd\`), check DOCKER_HOST, or on a fresh Debian/Ubuntu machine run \`bash ${script}\` (as root) from this checkout`
    : "Start the daemon (`dockerd`) or check DOCKER_HOST; without an engine, install one (on Debian/Ubuntu: `apt-get install docker.io`, then `dockerd`; elsewhere Docker Engine or Docker Desktop)";
}

function noBuildxError(path: string, clientVersion: string, env: NodeJS.ProcessEnv): Error {
  const older = findOnPath("docker", env["PATH"]).find((p) => p !== path);
  const alternative = older === undefined ? "PATH" : older;
  return environmentError(
    `the docker CLI ${path} (${clientVersion}) has no buildx plugin, and Docker 23 and later use BuildKit only through buildx ` +
      "(safebuild never uses the legacy builder: it ignores or rejects secret mounts). " +
      "Install the buildx plugin (package docker-buildx-plugin, or the binary in ~/.docker/cli-plugins/docker-buildx), " +
      `or use a docker CLI older than 23, which has BuildKit built in: --docker ${alternative} (or SAFEBUILD_DOCKER=${alternative})` +
      (older === undefined ? "" : ` (found ${older} on PATH)`),
  );
}
