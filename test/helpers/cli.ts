import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { checkSarifRun } from "./sarif-schema.js";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const cliPath = path.join(repoRoot, "dist/bin/safebuild.cjs");
/** Where every CLI run of the suite is recorded for the output audit (test/audit-outputs.mjs). */
export const auditDir = process.env["SAFEBUILD_AUDIT_DIR"] ?? path.join(repoRoot, ".test-audit");

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
  /** stdout + stderr as text, for assertions. */
  readonly output: string;
}

export interface CliOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Secret values this run knows; the audit checks them (and all others) against every output. */
  readonly secrets?: readonly (string | Buffer)[];
  /** Called with the child once it is running (to send signals, say). */
  readonly onSpawn?: (child: ChildProcess) => void;
  readonly timeoutMs?: number;
  /** Runs the CLI under this command, e.g. `["unshare", "--pid", "--fork", "--"]`. */
  readonly prefix?: readonly string[];
  /** Start from an empty environment (plus PATH) instead of the test process's. */
  readonly cleanEnv?: boolean;
}

/**
 * Runs the built CLI as a user would, and records what it printed so that one audit at the
 * end of the suite can prove no secret, in any encoding, appeared in any output of any test.
 */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const [command, ...prefixArgs] = [...(options.prefix ?? []), process.execPath];
    const child = spawn(command ?? process.execPath, [...prefixArgs, cliPath, ...args], {
      cwd: options.cwd ?? repoRoot,
      env: {
        ...(options.cleanEnv === true ? { PATH: process.env["PATH"] } : process.env),
        SAFEBUILD_DOCKER: process.env["SAFEBUILD_DOCKER"] ?? "/usr/bin/docker",
        // Tests switch fake docker CLIs' answers through their environment, which the builder
        // cache does not key on: off unless a test turns it on (test/build/builder-cache.itg.test.ts).
        SAFEBUILD_CACHE_DIR: "",
        ...options.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 280_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out);
      const stderr = Buffer.concat(err);
      record(args, stdout, stderr, options.secrets ?? []);
      // every SARIF report of the suite is checked against the official schema
      try {
        checkSarifRun(args, options.cwd ?? repoRoot, stdout);
      } catch (error) {
        reject(error as Error);
        return;
      }
      resolve({ code, signal, stdout, stderr, output: `${stdout.toString()}${stderr.toString()}` });
    });
    options.onSpawn?.(child);
  });
}

/** Records what a process other than runCli's printed (the GitHub Action's steps, say) for the output audit. */
export function recordRun(args: readonly string[], stdout: Buffer, stderr: Buffer, secrets: readonly (string | Buffer)[]): void {
  record(args, stdout, stderr, secrets);
}

/** Registers secret values used by a test outside runCli (a fixture's token, say). */
export function recordSecrets(secrets: readonly (string | Buffer)[]): void {
  record([], Buffer.alloc(0), Buffer.alloc(0), secrets);
}

function record(args: readonly string[], stdout: Buffer, stderr: Buffer, secrets: readonly (string | Buffer)[]): void {
  mkdirSync(auditDir, { recursive: true });
  const entry = {
    args: [...args],
    stdout: stdout.toString("base64"),
    stderr: stderr.toString("base64"),
    secrets: secrets.map((s) => Buffer.from(s).toString("base64")),
  };
  writeFileSync(path.join(auditDir, `${Date.now()}-${randomBytes(4).toString("hex")}.json`), JSON.stringify(entry));
}
