import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

/** Debian's distribution registry 2.8 (`apt-get install docker-registry`); scripts/ci-deps.sh installs it. */
export const REGISTRY_BIN = process.env["SAFEBUILD_TEST_REGISTRY_BIN"] ?? "/usr/bin/docker-registry";

/** True when the real registry server can run here; under CI=true its absence is a failure, not a skip. */
export function registryAvailable(): boolean {
  const ok = spawnSync(REGISTRY_BIN, ["--version"], { encoding: "utf8" }).status === 0;
  if (!ok && process.env["CI"] === "true") {
    throw new Error(`CI=true but ${REGISTRY_BIN} does not run: run bash scripts/ci-deps.sh`);
  }
  return ok;
}

export interface RegistryServer {
  /** `127.0.0.1:PORT`, as an image reference names it. */
  readonly host: string;
  readonly port: number;
  /** Storage and config live here; removed by stop(). */
  readonly dir: string;
  /** Everything the server logged, for a failing test's message. */
  log(): string;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  /**
   * Extra top-level YAML for the config (e.g. an `auth:` block, or `http.tls` through `http`).
   * Lines are appended as written; `http` replaces the default plain-HTTP block.
   */
  readonly auth?: string;
  readonly http?: string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts the real registry on a loopback port with its own config file and storage in a temp
 * dir, and waits until `/v2/` answers (any status: an auth-protected registry answers 401).
 */
export async function startRegistry(options: RegistryOptions = {}): Promise<RegistryServer> {
  const dir = mkdtempSync(path.join(tmpdir(), "safebuild-registry-"));
  const port = await freePort();
  const http = options.http ?? `http:\n  addr: 127.0.0.1:${port}\n`;
  const config = [
    "version: 0.1",
    "log:\n  level: warn\n  accesslog:\n    disabled: true",
    `storage:\n  filesystem:\n    rootdirectory: ${path.join(dir, "data")}\n  delete:\n    enabled: true`,
    http.replace(/\{PORT\}/g, String(port)),
    options.auth ?? "",
  ].join("\n");
  const configPath = path.join(dir, "config.yml");
  writeFileSync(configPath, config);
  const child: ChildProcess = spawn(REGISTRY_BIN, ["serve", configPath], { stdio: ["ignore", "pipe", "pipe"] });
  const logs: Buffer[] = [];
  child.stdout?.on("data", (c: Buffer) => logs.push(c));
  child.stderr?.on("data", (c: Buffer) => logs.push(c));
  const log = (): string => Buffer.concat(logs).toString("utf8");
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
      child.kill("SIGKILL");
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const scheme = /tls:/.test(http) ? "https" : "http";
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`the registry exited (${child.exitCode}): ${log()}`);
    }
    if (await answers(scheme, port)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the registry did not answer on port ${port} within 15 s: ${log()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { host: `127.0.0.1:${port}`, port, dir, log, stop };
}

async function answers(scheme: string, port: number): Promise<boolean> {
  if (scheme === "https") {
    // A private CA the test made: a TCP accept is enough to know the server is up.
    return new Promise((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
  }
  try {
    const res = await fetch(`http://127.0.0.1:${port}/v2/`);
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}
