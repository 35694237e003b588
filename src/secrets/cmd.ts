import { inputError, interruptedError } from "../errors.js";
import { childEnv } from "./child-env.js";
import { runCommand } from "../process/run.js";
import type { Provider, ProviderContext } from "./provider.js";
import { MAX_SECRET_BYTES } from "./limits.js";

const DEFAULT_TIMEOUT_S = 60;
/** Past BuildKit's limit, so resolve reports "over 500 KiB" rather than a truncated value. */
const MAX_STDOUT = MAX_SECRET_BYTES * 2;
/** Enough to tell the user why a command failed; the rest is noise. */
const MAX_STDERR = 64 * 1024;

/**
 * `cmd:COMMAND`: `/bin/sh -c COMMAND` with the parent's environment (how `op`, `aws`, `pass`
 * find their own credentials) less the run's secret-source variables and any variable holding a
 * value already resolved, and the run's cwd. Its stdout, one trailing newline removed, is
 * the value. Its stderr is shown only after the command ends and the value is registered with
 * the masker, so a tool that echoes the value on stderr cannot leak it.
 */
export const cmdProvider: Provider = async (ref, ctx) => {
  const timeoutS = timeoutOf(ref.id, ctx.env);
  const what = `cmd: ${shorten(ref.target)}`;
  const result = await runCommand(
    { command: "/bin/sh", args: ["-c", ref.target], env: childEnv("provider", ctx.env, ctx.traces), inheritEnv: false, cwd: ctx.cwd },
    { signal: ctx.signal, timeoutMs: timeoutS * 1000, killSignal: "SIGTERM", killGroup: true, output: { kind: "capture", maxBuffer: MAX_STDOUT } },
  );
  const value = withoutTrailingNewline(result.stdout);
  result.stdout.fill(0);
  if (value.length > 0) ctx.masker.addSensitive(value);
  showStderr(ctx, result.stderr);

  const failure = failureOf(result, timeoutS);
  if (failure !== undefined) {
    value.fill(0);
    if (result.aborted || ctx.signal?.aborted === true) throw interruptedError(signalNameOf(ctx.signal?.reason));
    throw inputError(`secret ${ref.id}: ${what}: ${failure}`);
  }
  return value;
};

function failureOf(result: Awaited<ReturnType<typeof runCommand>>, timeoutS: number): string | undefined {
  if (result.spawnError !== undefined) return `could not start /bin/sh (${result.spawnError.code ?? "error"})`;
  if (result.timedOut) return `timed out after ${timeoutS} s (set SAFEBUILD_CMD_TIMEOUT to allow longer)`;
  if (result.stdout.length >= MAX_STDOUT) return `printed more than ${MAX_STDOUT} bytes`;
  if (result.signal !== undefined) return `killed by ${result.signal}`;
  if (result.exitCode !== 0) {
    const hint = result.exitCode === 127 ? " (command not found)" : "";
    return `exited with status ${result.exitCode ?? "unknown"}${hint}`;
  }
  return undefined;
}

/** A fresh copy without one trailing `\n` or `\r\n`; the caller wipes the original. */
export function withoutTrailingNewline(bytes: Buffer): Buffer {
  let end = bytes.length;
  if (bytes[end - 1] === 0x0a) end -= bytes[end - 2] === 0x0d ? 2 : 1;
  return Buffer.from(bytes.subarray(0, end));
}

function showStderr(ctx: ProviderContext, stderr: Buffer): void {
  if (ctx.stderr === undefined || stderr.length === 0) return;
  const shown = stderr.length > MAX_STDERR ? stderr.subarray(stderr.length - MAX_STDERR) : stderr;
  const masked = ctx.masker.maskBuffer(shown);
  ctx.stderr.write(masked[masked.length - 1] === 0x0a ? masked : Buffer.concat([masked, Buffer.from("\n")]));
}

function timeoutOf(id: string, env: NodeJS.ProcessEnv): number {
  const raw = env["SAFEBUILD_CMD_TIMEOUT"]?.trim();
  if (raw === undefined || raw === "") return DEFAULT_TIMEOUT_S;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw inputError(`secret ${id}: SAFEBUILD_CMD_TIMEOUT must be a positive number of seconds`);
  }
  return seconds;
}

/** The command is a reference, not a value, but can be long: keep messages on one line. */
export function shorten(command: string, max = 60): string {
  const line = command.replace(/\s+/g, " ").trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

function signalNameOf(reason: unknown): NodeJS.Signals {
  return typeof reason === "string" && reason.startsWith("SIG") ? (reason as NodeJS.Signals) : "SIGINT";
}
