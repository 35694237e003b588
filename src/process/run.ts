import { spawn, type ChildProcess } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import type * as ExecaModule from "execa";

// execa takes longer to load (about 140 ms) than a cached docker build takes to run: it starts
// only the children off every run's path (cmd: sources); the rest use node's own spawn.
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

/**
 * What becomes of the child's output. `capture`: both kept as bytes (may hold a secret: the
 * caller wipes them), up to `maxBuffer` each. `forward`: streamed into the caller's (masked)
 * streams, never kept. `read`: stdout read by the caller as it comes, with backpressure
 * (`Child.stdout`); stderr kept up to `maxStderr` for a message.
 */
export type OutputMode =
  | { readonly kind: "capture"; readonly maxBuffer?: number }
  | { readonly kind: "forward"; readonly stdout: Writable; readonly stderr: Writable }
  | { readonly kind: "read"; readonly maxStderr?: number };

/** How every child safebuild starts is run. */
export interface RunOptions {
  readonly signal?: AbortSignal | undefined;
  readonly timeoutMs?: number | undefined;
  /**
   * Signal sent on abort or timeout (default SIGTERM), then SIGKILL after a grace period. A
   * function is asked at that time, so the signal that stopped us can be forwarded as it is.
   */
  readonly killSignal?: NodeJS.Signals | (() => NodeJS.Signals);
  /**
   * Start the child in a process group of its own and signal the whole group on timeout or
   * abort, so a grandchild (`sh -c "a; sleep 60"`) cannot keep the pipes, and us, waiting.
   */
  readonly killGroup?: boolean;
  /** Bytes written to the child's stdin, which is then closed; default: no stdin. */
  readonly stdin?: Uint8Array;
  /** Default: `capture`. */
  readonly output?: OutputMode;
  /**
   * The child is on every run's path (builder probes, the build, `docker save`): node's own
   * spawn, which starts at once. Otherwise execa, whose load time does not matter there.
   */
  readonly hotPath?: boolean;
}

export interface RunResult {
  readonly exitCode: number | undefined;
  /** Set when the child was ended by a signal. */
  readonly signal: NodeJS.Signals | undefined;
  readonly timedOut: boolean;
  readonly aborted: boolean;
  readonly spawnError: NodeJS.ErrnoException | undefined;
  /** Captured stdout (`capture` only; bytes: may hold a secret). */
  readonly stdout: Buffer;
  /** Captured stderr (`capture`, and `read` up to its cap). */
  readonly stderr: Buffer;
}

/** A started child. */
export interface Child {
  /** Its stdout as it comes (`read` only; empty otherwise): reading it slowly slows the child. */
  readonly stdout: AsyncIterable<Buffer>;
  /** Resolves once the child has exited and its pipes closed; never rejects. */
  readonly exited: Promise<RunResult>;
  /** Ends the child (its kill signal) if it is still running; harmless after it exited. */
  stop(): void;
}

/** A child's first output line, trimmed and bounded, for a one-line error message. */
export const firstLine = (bytes: Buffer): string => bytes.toString("utf8").trim().split("\n")[0]?.slice(0, 200) ?? "";

const GRACE_MS = 10_000;
const DEFAULT_MAX_BUFFER = 16 * 1024 * 1024;
const DEFAULT_MAX_STDERR = 64 * 1024;
const EMPTY: AsyncIterable<Buffer> = { [Symbol.asyncIterator]: async function* () {} };

/**
 * The one place safebuild starts processes. It never throws for a failing child: callers get
 * the facts and word their own error, because messages of child-process libraries embed argv
 * and stderr.
 */
export function startCommand(spec: CommandSpec, options: RunOptions = {}): Child {
  const output = options.output ?? { kind: "capture" };
  if (options.hotPath === true || output.kind === "read") return spawnChild(spec, options, output);
  let stop: () => void = () => {};
  const exited = loadExeca().then((execa) => {
    const started = execaChild(execa, spec, options, output);
    stop = started.stop;
    return started.exited;
  });
  return { stdout: EMPTY, exited, stop: () => stop() };
}

/** `startCommand` for a child whose output is captured or forwarded: its facts once it ended. */
export const runCommand = (spec: CommandSpec, options: RunOptions = {}): Promise<RunResult> => startCommand(spec, options).exited;

/** The spec's environment as it says: its own only, or ours with it on top. */
const envOf = (spec: CommandSpec): NodeJS.ProcessEnv => (spec.inheritEnv === false ? { ...spec.env } : { ...process.env, ...spec.env });

const killSignalOf = (options: RunOptions): NodeJS.Signals => (typeof options.killSignal === "function" ? options.killSignal() : (options.killSignal ?? "SIGTERM"));

/**
 * On abort or timeout: the kill signal (to the group with `killGroup`), then SIGKILL if the
 * child outlives a grace period. Returns what to call once it exited.
 */
function stopOnAbortOrTimeout(child: { pid?: number | undefined; kill(signal?: NodeJS.Signals): boolean }, options: RunOptions, onTimeout: () => void): () => void {
  const timers: NodeJS.Timeout[] = [];
  const send = (signal: NodeJS.Signals): void => {
    if (options.killGroup === true && child.pid !== undefined) {
      try {
        process.kill(-child.pid, signal);
      } catch {
        // The group is already gone.
      }
    }
    child.kill(signal);
  };
  const stop = (): void => {
    send(killSignalOf(options));
    const grace = setTimeout(() => send("SIGKILL"), GRACE_MS);
    grace.unref();
    timers.push(grace);
  };
  if (options.timeoutMs !== undefined) timers.push(setTimeout(() => (onTimeout(), stop()), options.timeoutMs));
  if (options.signal?.aborted === true) stop();
  else options.signal?.addEventListener("abort", stop, { once: true });
  return () => {
    options.signal?.removeEventListener("abort", stop);
    for (const timer of timers) clearTimeout(timer);
  };
}

/** Keeps what a stream yields, up to `max` bytes; past it, `over` is called once. */
function keep(stream: Readable, max: number, over?: () => void): () => Buffer {
  const chunks: Buffer[] = [];
  let bytes = 0;
  stream.on("data", (chunk: Buffer) => {
    if (bytes < max) chunks.push(chunk);
    bytes += chunk.length;
    if (bytes > max && over !== undefined) over();
  });
  return () => Buffer.concat(chunks).subarray(0, max);
}

function writeStdin(child: ChildProcess, bytes: Uint8Array | undefined): void {
  if (bytes === undefined || child.stdin === null) return;
  // a child that exits without reading its stdin: EPIPE here is its business, not a crash
  child.stdin.on("error", () => undefined);
  child.stdin.end(bytes);
}

/** Node's own spawn, for every output mode. */
function spawnChild(spec: CommandSpec, options: RunOptions, output: OutputMode): Child {
  const child = spawn(spec.command, [...spec.args], {
    env: envOf(spec),
    stdio: [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    windowsHide: true,
    detached: options.killGroup === true,
    ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
  });
  writeStdin(child, options.stdin);
  const stop = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill(killSignalOf(options));
  };
  let timedOut = false;
  const stopWatching = stopOnAbortOrTimeout(child, options, () => (timedOut = true));
  let stdout: () => Buffer = () => Buffer.alloc(0);
  let stderr: () => Buffer = () => Buffer.alloc(0);
  if (output.kind === "capture") {
    const max = output.maxBuffer ?? DEFAULT_MAX_BUFFER;
    stdout = keep(child.stdout!, max, stop);
    stderr = keep(child.stderr!, max, stop);
  } else if (output.kind === "forward") {
    child.stdout!.pipe(output.stdout);
    child.stderr!.pipe(output.stderr);
  } else {
    stderr = keep(child.stderr!, output.maxStderr ?? DEFAULT_MAX_STDERR);
  }
  const exited = new Promise<RunResult>((resolve) => {
    let spawnError: NodeJS.ErrnoException | undefined;
    child.once("error", (error: NodeJS.ErrnoException) => {
      spawnError = { name: "SpawnError", code: error.code ?? "failed", message: error.code ?? "failed" } as NodeJS.ErrnoException;
    });
    child.once("close", (code, signal) => {
      stopWatching();
      resolve({
        exitCode: spawnError === undefined ? (code ?? undefined) : undefined,
        signal: signal ?? undefined,
        timedOut,
        aborted: options.signal?.aborted === true,
        spawnError,
        stdout: stdout(),
        stderr: stderr(),
      });
    });
  });
  return { stdout: output.kind === "read" ? (child.stdout as AsyncIterable<Buffer>) : EMPTY, exited, stop };
}

/** execa, for captured or forwarded output off the hot path. */
function execaChild({ execa }: Execa, spec: CommandSpec, options: RunOptions, output: Exclude<OutputMode, { kind: "read" }>): { exited: Promise<RunResult>; stop(): void } {
  const forward = output.kind === "forward" ? output : undefined;
  const child = execa(spec.command, [...spec.args], {
    env: spec.env ?? {},
    extendEnv: spec.inheritEnv ?? true,
    ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
    ...(options.stdin === undefined ? { stdin: "ignore" as const } : { input: options.stdin }),
    stdout: forward === undefined ? "pipe" : ["pipe", forward.stdout],
    stderr: forward === undefined ? "pipe" : ["pipe", forward.stderr],
    encoding: "buffer",
    reject: false,
    stripFinalNewline: false,
    maxBuffer: output.kind === "capture" ? (output.maxBuffer ?? DEFAULT_MAX_BUFFER) : DEFAULT_MAX_BUFFER,
    // A forwarded stream is not also kept: a build log is unbounded (past maxBuffer execa would
    // cut the pipe and fail the build) and may hold secret values nobody would wipe.
    buffer: forward === undefined,
    windowsHide: true,
    detached: options.killGroup === true,
  });
  let timedOut = false;
  const stopWatching = stopOnAbortOrTimeout(child, options, () => (timedOut = true));
  const exited = child.finally(stopWatching).then((result): RunResult => {
    const code = (result as { code?: string }).code;
    const spawnFailed = result.failed && result.exitCode === undefined && result.signal === undefined && code !== undefined;
    return {
      exitCode: result.exitCode,
      signal: result.signal,
      timedOut,
      aborted: options.signal?.aborted === true,
      spawnError: spawnFailed ? ({ code, message: code } as NodeJS.ErrnoException) : undefined,
      stdout: toBuffer(result.stdout),
      stderr: toBuffer(result.stderr),
    };
  });
  const stop = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill(killSignalOf(options));
  };
  return { exited, stop };
}

function toBuffer(value: unknown): Buffer {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return Buffer.alloc(0);
}
