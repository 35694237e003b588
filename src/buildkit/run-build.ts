import { readFile } from "node:fs/promises";
import type { Writable } from "node:stream";
import { buildError, environmentError, usageError } from "../errors.js";
import { runCommand, type CommandSpec } from "../process/run.js";
import { watchCachedSecretSteps } from "./cached-secret-steps.js";
import { forwardWithoutEnd } from "./log-sink.js";

const DOCKER_USAGE_STATUS = 125;

export interface RunBuildOptions {
  /** The masked human stream the log goes to. */
  readonly log: Writable;
  /** The file the builder writes the image id into (`--iidfile`). */
  readonly iidfile: string;
  readonly signal: AbortSignal;
  /** Which signal to forward when `signal` aborts (the one that stopped us). */
  readonly forwardSignal: () => NodeJS.Signals;
}

export type BuildOutcome =
  | {
      readonly kind: "built";
      readonly imageId: string;
      /** RUN steps with a secret mount that BuildKit took from its cache (see cached-secret-steps.ts). */
      readonly cachedSecretSteps: readonly string[];
    }
  | { readonly kind: "interrupted" };

/**
 * Runs the builder once, its stdout and stderr streamed live into the log. The log is
 * masked by the caller's stream; error messages here never quote it, since a RUN can
 * print anything, a secret included.
 */
export async function runBuild(spec: CommandSpec, options: RunBuildOptions): Promise<BuildOutcome> {
  const steps = watchCachedSecretSteps();
  const result = await runCommand(spec, {
    signal: options.signal,
    killSignal: options.forwardSignal,
    hotPath: true,
    output: { kind: "forward", stdout: forwardWithoutEnd(options.log), stderr: forwardWithoutEnd(options.log, (chunk) => steps.write(chunk)) },
  });
  if (result.aborted || options.signal.aborted) return { kind: "interrupted" };
  if (result.spawnError !== undefined) throw environmentError(`cannot run ${spec.command}: ${result.spawnError.code ?? "failed"}`);
  // The docker CLI exits 125 when it rejects its arguments (`unknown flag: --bogus`): a usage error.
  if (result.exitCode === DOCKER_USAGE_STATUS) {
    throw usageError(`the builder rejected its arguments: ${spec.command} exited with status 125 (see its message above; check the flags after --)`);
  }
  if (result.exitCode !== 0) {
    const how = result.signal !== undefined ? `was killed by ${result.signal}` : `exited with status ${result.exitCode ?? "unknown"}`;
    throw buildError(`the build failed: ${spec.command} ${spec.args[0] === "buildx" ? "buildx build" : "build"} ${how} (see the log above)`);
  }
  const imageId = (await readFile(options.iidfile, "utf8").catch(() => "")).trim();
  if (!/^sha256:[0-9a-f]{64}$/.test(imageId)) throw buildError("the build succeeded but the builder wrote no image id (--iidfile)");
  return { kind: "built", imageId, cachedSecretSteps: steps.cached() };
}
