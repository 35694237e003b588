import type { Writable } from "node:stream";
import { forwardWithoutEnd } from "../buildkit/log-sink.js";
import { environmentError, interruptedError } from "../errors.js";
import { runCommand } from "../process/run.js";

export interface PushRun {
  readonly docker: string;
  /** The child's whole environment (secrets/child-env.ts, purpose `push`). */
  readonly env: Record<string, string>;
  readonly cwd: string;
  /** The masked stream the push log goes to. */
  readonly log: Writable;
  readonly signal: AbortSignal;
  readonly killSignal: () => NodeJS.Signals;
}

/**
 * Runs one push child (`docker push`, `skopeo copy`) with its log streamed to the masked stream;
 * `observe` sees its stdout first. A failure is exit 4 in one line, the tool's own message being
 * above it; `done` names the tags already pushed, so a partial push is never hidden.
 */
export async function runPushChild(what: string, tag: string, command: string, args: readonly string[], run: PushRun, done: readonly string[], observe?: (chunk: Buffer) => void): Promise<void> {
  const result = await runCommand(
    { command, args, env: run.env, inheritEnv: false, cwd: run.cwd },
    { signal: run.signal, killSignal: run.killSignal, hotPath: true, output: { kind: "forward", stdout: forwardWithoutEnd(run.log, observe), stderr: forwardWithoutEnd(run.log) } },
  );
  if (result.aborted || run.signal.aborted) throw interruptedError(run.killSignal());
  if (result.spawnError !== undefined) throw environmentError(`cannot run ${command}: ${result.spawnError.code ?? "failed"}`);
  if (result.exitCode !== 0) {
    const how = result.signal !== undefined ? `was killed by ${result.signal}` : `exited with status ${result.exitCode ?? "unknown"}`;
    throw environmentError(`the push of ${tag} failed: ${what} ${how} (see its message above)${alreadyPushed(done)}`);
  }
}

export const alreadyPushed = (done: readonly string[]): string => (done.length === 0 ? "" : `; already pushed: ${done.join(", ")}`);
