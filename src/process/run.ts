import type { Writable } from "node:stream";
import { execa } from "execa";

/** An external command as data: what to run, never how. Tests assert on these. */
export interface CommandSpec {
  readonly command: string;
  readonly args: readonly string[];
  /** Variables added to (or, when `inheritEnv` is false, forming) the child's environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Default true: the child sees the parent's environment plus `env`. */
  readonly inheritEnv?: boolean;
  readonly cwd?: string;
}

export interface RunOptions {
  readonly signal?: AbortSignal | undefined;
  /** Where the child's stdout goes; default: captured and returned as bytes. */
  readonly stdout?: Writable | undefined;
  /** Where the child's stderr goes; default: captured and returned as bytes. */
  readonly stderr?: Writable | undefined;
  readonly timeoutMs?: number | undefined;
  /** Signal sent when `signal` aborts (default SIGTERM); the child is then awaited. */
  readonly killSignal?: NodeJS.Signals;
  /** Cap on captured stdout/stderr bytes. */
  readonly maxBuffer?: number;
}

export interface RunResult {
  readonly exitCode: number | undefined;
  /** Set when the child was ended by a signal. */
  readonly signal: NodeJS.Signals | undefined;
  readonly timedOut: boolean;
  readonly aborted: boolean;
  readonly spawnError: NodeJS.ErrnoException | undefined;
  /** Captured stdout when no `stdout` stream was given (bytes: may hold a secret). */
  readonly stdout: Buffer;
  readonly stderr: Buffer;
}

/**
 * The one place safebuild starts processes. It never throws for a failing child: callers get
 * the facts and word their own error, because execa's messages embed argv and stderr.
 */
export async function runCommand(spec: CommandSpec, options: RunOptions = {}): Promise<RunResult> {
  const child = execa(spec.command, [...spec.args], {
    env: spec.env ?? {},
    extendEnv: spec.inheritEnv ?? true,
    ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
    stdin: "ignore",
    stdout: options.stdout === undefined ? "pipe" : ["pipe", options.stdout],
    stderr: options.stderr === undefined ? "pipe" : ["pipe", options.stderr],
    encoding: "buffer",
    reject: false,
    stripFinalNewline: false,
    ...(options.signal === undefined ? {} : { cancelSignal: options.signal }),
    ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
    killSignal: options.killSignal ?? "SIGTERM",
    forceKillAfterDelay: 10_000,
    maxBuffer: options.maxBuffer ?? 16 * 1024 * 1024,
    windowsHide: true,
  });
  const result = await child;
  const code = (result as { code?: string }).code;
  const spawnFailed = result.failed && result.exitCode === undefined && result.signal === undefined && code !== undefined;
  return {
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    aborted: result.isCanceled,
    spawnError: spawnFailed ? ({ code, message: code } as NodeJS.ErrnoException) : undefined,
    stdout: toBuffer(result.stdout),
    stderr: toBuffer(result.stderr),
  };
}

function toBuffer(value: unknown): Buffer {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return Buffer.alloc(0);
}
