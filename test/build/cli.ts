import { spawnSync } from "node:child_process";
import { runCli as runRecorded } from "../helpers/cli.js";
import { resolve } from "node:path";

export const CLI = resolve(import.meta.dirname, "../../dist/cli.js");
export const REPO = resolve(import.meta.dirname, "../..");
export const DOCKER = process.env["SAFEBUILD_DOCKER"] ?? "/usr/bin/docker";

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly env?: Record<string, string | undefined>;
  readonly cwd?: string;
  /** The secret values this run knows: the suite's output audit checks every output for them. */
  readonly secrets?: readonly (string | Buffer)[];
  /** Called with the stderr seen so far on every chunk; may signal the child. */
  readonly onStderr?: (stderrSoFar: string, pid: number) => void;
}

/** Runs the built CLI (`node dist/cli.js …`) through the suite's recording helper. */
export async function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  let seen = "";
  const run = await runRecorded(args, {
    env: options.env ?? {},
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    secrets: options.secrets ?? [],
    onSpawn: (child) => {
      const onStderr = options.onStderr;
      if (onStderr === undefined) return;
      child.stderr?.on("data", (chunk: Buffer) => {
        seen += chunk.toString();
        onStderr(seen, child.pid ?? 0);
      });
    },
  });
  return { code: run.code, signal: run.signal, stdout: run.stdout.toString(), stderr: run.stderr.toString() };
}

/** Whether an engine answers; under CI=true a missing engine is a failure, never a skip. */
export function engineAnswers(): boolean {
  const ok = spawnSync(DOCKER, ["version", "--format", "{{.Server.Version}}"], { encoding: "utf8" }).status === 0;
  if (!ok && process.env["CI"] === "true") {
    throw new Error(`CI=true but no Docker engine answers ${DOCKER}: run bash scripts/ci-docker.sh`);
  }
  return ok;
}

export function docker(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(DOCKER, args, { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function removeImages(tags: readonly string[]): void {
  if (tags.length > 0) docker(["rmi", "-f", ...tags]);
}
