import { execFile, spawn } from "node:child_process";
import type { Writable } from "node:stream";
import type * as ExecaModule from "execa";

// execa takes longer to load (about 140 ms) than a cached docker build takes to run: it is
// loaded on first use, by the cmd: provider; the docker CLI runs through node's own calls.
type Execa = typeof ExecaModule;
let execaModule: Promise<Execa> | undefined;
const loadExeca = (): Promise<Execa> => (execaModule ??= import("execa"));


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
  /**
   * Signal sent when `signal` aborts (default SIGTERM); the child is then awaited. A function
   * is asked at abort time, so the signal that stopped us can be forwarded as it is.
   */
  readonly killSignal?: NodeJS.Signals | (() => NodeJS.Signals);
  /** Cap on captured stdout/stderr bytes. */
  readonly maxBuffer?: number;
  /**
   * Start the child in a process group of its own and also signal the whole group on timeout
   * or abort, so a grandchild (`sh -c "a; sleep 60"`) cannot keep the pipes, and us, waiting.
   */
  readonly killGroup?: boolean;
  /** Bytes written to the child's stdin (a credential helper reads the server URL there); default: no stdin. */
  readonly input?: Buffer | undefined;
}

/** A child's first output line, trimmed and bounded, for a one-line error message. */
export const firstLine = (bytes: Buffer): string => bytes.toString("utf8").trim().split("\n")[0]?.slice(0, 200) ?? "";

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
  const forward = typeof options.killSignal === "function" ? options.killSignal : undefined;
  const { execa } = await loadExeca();
  const child = execa(spec.command, [...spec.args], {
    env: spec.env ?? {},
    extendEnv: spec.inheritEnv ?? true,
    ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
    ...(options.input === undefined ? { stdin: "ignore" as const } : { input: options.input }),
    stdout: options.stdout === undefined ? "pipe" : ["pipe", options.stdout],
    stderr: options.stderr === undefined ? "pipe" : ["pipe", options.stderr],
    encoding: "buffer",
    reject: false,
    stripFinalNewline: false,
    ...(options.signal === undefined || forward !== undefined ? {} : { cancelSignal: options.signal }),
    ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
    killSignal: typeof options.killSignal === "string" ? options.killSignal : "SIGTERM",
    forceKillAfterDelay: 10_000,
    maxBuffer: options.maxBuffer ?? 16 * 1024 * 1024,
    // A forwarded stream is not also kept: a build log is unbounded (past maxBuffer execa would
    // cut the pipe and fail the build) and may hold secret values nobody would wipe.
    buffer: { stdout: options.stdout === undefined, stderr: options.stderr === undefined },
    windowsHide: true,
    detached: options.killGroup === true,
  });
  const stopForwarding = forward === undefined ? () => {} : forwardAbort(child, options.signal, forward);
  const stopGroup = options.killGroup === true ? signalGroupOnStop(child.pid, options) : () => {};
  const result = await child.finally(() => (stopForwarding(), stopGroup()));
  const code = (result as { code?: string }).code;
  const spawnFailed = result.failed && result.exitCode === undefined && result.signal === undefined && code !== undefined;
  return {
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    aborted: result.isCanceled || (forward !== undefined && options.signal?.aborted === true),
    spawnError: spawnFailed ? ({ code, message: code } as NodeJS.ErrnoException) : undefined,
    stdout: toBuffer(result.stdout),
    stderr: toBuffer(result.stderr),
  };
}

/**
 * A short query whose output is captured (the builder probes): node's own execFile, so it
 * starts at once instead of waiting for execa to load; the probes then run while execa
 * loads for the build. Same facts-not-throws contract as runCommand.
 */
export function probeCommand(spec: CommandSpec, options: Pick<RunOptions, "signal" | "timeoutMs" | "maxBuffer"> = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const env = envOf(spec);
    execFile(
      spec.command,
      [...spec.args],
      {
        env,
        encoding: "buffer",
        maxBuffer: options.maxBuffer ?? 1024 * 1024,
        windowsHide: true,
        ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
        ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      },
      (error, stdout, stderr) => {
        const failure = error as (NodeJS.ErrnoException & { killed?: boolean; signal?: NodeJS.Signals | null }) | null;
        const exitCode = failure === null ? 0 : typeof failure.code === "number" ? failure.code : undefined;
        const spawnFailed = failure !== null && typeof failure.code === "string" && failure.code !== "ABORT_ERR" && failure.code !== "ERR_CHILD_PROCESS_STDIO_MAXBUFFER";
        resolve({
          exitCode,
          signal: failure?.signal ?? undefined,
          timedOut: failure?.killed === true && options.signal?.aborted !== true,
          aborted: options.signal?.aborted === true,
          spawnError: spawnFailed ? ({ code: failure.code, message: failure.code } as NodeJS.ErrnoException) : undefined,
          stdout: toBuffer(stdout),
          stderr: toBuffer(stderr),
        });
      },
    );
  });
}

/**
 * The builder itself: its output streamed into `stdout`/`stderr` (never kept), the signal that
 * stopped us forwarded on abort, SIGKILL after a grace period. Node's own spawn: the docker
 * CLI needs nothing more, and execa's load time would be most of a cached build's overhead.
 */
export function streamCommand(
  spec: CommandSpec,
  options: { readonly signal: AbortSignal; readonly killSignal: () => NodeJS.Signals; readonly stdout: Writable; readonly stderr: Writable },
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawnPiped(spec);
    child.stdout.pipe(options.stdout);
    child.stderr.pipe(options.stderr);
    const stopForwarding = forwardAbort(child, options.signal, options.killSignal);
    const empty = Buffer.alloc(0);
    let spawnError: NodeJS.ErrnoException | undefined;
    child.once("error", (error: NodeJS.ErrnoException) => {
      spawnError = { name: "SpawnError", code: error.code ?? "failed", message: error.code ?? "failed" } as NodeJS.ErrnoException;
    });
    child.once("close", (code, signal) => {
      stopForwarding();
      resolve({
        exitCode: spawnError === undefined ? (code ?? undefined) : undefined,
        signal: signal ?? undefined,
        timedOut: false,
        aborted: options.signal.aborted,
        spawnError,
        stdout: empty,
        stderr: empty,
      });
    });
  });
}

/** A child whose stdout the caller reads as it comes (`docker save`): see `readCommand`. */
export interface ReadingChild {
  /** The child's stdout; reading it slowly slows the child (the pipe's backpressure). */
  readonly stdout: AsyncIterable<Buffer>;
  /** Resolves once the child has exited and its pipes closed; stderr is kept up to `maxStderr`. */
  readonly exited: Promise<RunResult>;
  /** Ends the child (SIGTERM) if it is still running; harmless after it exited. */
  stop(): void;
}

/**
 * A child whose (large) stdout is consumed as a stream, with backpressure, never kept: node's
 * own spawn, SIGTERM on abort. Its stderr is kept up to `maxStderr` bytes for a message.
 */
export function readCommand(spec: CommandSpec, options: { readonly signal?: AbortSignal | undefined; readonly maxStderr?: number } = {}): ReadingChild {
  const child = spawnPiped(spec);
  const maxStderr = options.maxStderr ?? 64 * 1024;
  const stderr: Buffer[] = [];
  let stderrBytes = 0;
  child.stderr.on("data", (chunk: Buffer) => {
    if (stderrBytes < maxStderr) stderr.push(chunk);
    stderrBytes += chunk.length;
  });
  const stop = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  };
  options.signal?.addEventListener("abort", stop, { once: true });
  const exited = new Promise<RunResult>((resolve) => {
    let spawnError: NodeJS.ErrnoException | undefined;
    child.once("error", (error: NodeJS.ErrnoException) => {
      spawnError = { name: "SpawnError", code: error.code ?? "failed", message: error.code ?? "failed" } as NodeJS.ErrnoException;
    });
    child.once("close", (code, signal) => {
      options.signal?.removeEventListener("abort", stop);
      resolve({
        exitCode: spawnError === undefined ? (code ?? undefined) : undefined,
        signal: signal ?? undefined,
        timedOut: false,
        aborted: options.signal?.aborted === true,
        spawnError,
        stdout: Buffer.alloc(0),
        stderr: Buffer.concat(stderr).subarray(0, maxStderr),
      });
    });
  });
  return { stdout: child.stdout as AsyncIterable<Buffer>, exited, stop };
}

/** The spec's environment as it says: its own only, or ours with it on top. */
const envOf = (spec: CommandSpec): NodeJS.ProcessEnv => (spec.inheritEnv === false ? { ...spec.env } : { ...process.env, ...spec.env });

/** Node's own spawn with stdout and stderr piped to us, stdin closed: the streaming runners' start. */
function spawnPiped(spec: CommandSpec) {
  return spawn(spec.command, [...spec.args], {
    env: envOf(spec),
    stdio: ["ignore", "pipe", "pipe"],
    windowsHide: true,
    ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
  });
}

/** Sends the chosen signal on abort, then SIGKILL if the child outlives a grace period. */
function forwardAbort(child: { kill(signal?: NodeJS.Signals): boolean }, signal: AbortSignal | undefined, pick: () => NodeJS.Signals): () => void {
  if (signal === undefined) return () => {};
  let timer: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    child.kill(pick());
    timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    timer.unref();
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener("abort", onAbort, { once: true });
  return () => {
    signal.removeEventListener("abort", onAbort);
    if (timer !== undefined) clearTimeout(timer);
  };
}

/** With `killGroup`: the same timeout and abort as execa's, aimed at the group (`-pid`). */
function signalGroupOnStop(pid: number | undefined, options: RunOptions): () => void {
  if (pid === undefined) return () => {};
  const timers: NodeJS.Timeout[] = [];
  const send = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is already gone.
    }
  };
  const stop = (): void => {
    send(typeof options.killSignal === "function" ? options.killSignal() : (options.killSignal ?? "SIGTERM"));
    timers.push(setTimeout(() => send("SIGKILL"), 10_000));
  };
  if (options.timeoutMs !== undefined) timers.push(setTimeout(stop, options.timeoutMs));
  if (options.signal?.aborted === true) stop();
  else options.signal?.addEventListener("abort", stop, { once: true });
  return () => {
    options.signal?.removeEventListener("abort", stop);
    for (const timer of timers) clearTimeout(timer);
  };
}

function toBuffer(value: unknown): Buffer {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return Buffer.alloc(0);
}
