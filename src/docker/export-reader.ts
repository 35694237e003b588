import { Worker } from "node:worker_threads";
import type * as Net from "node:net";
import type * as Tls from "node:tls";
import type * as Threads from "node:worker_threads";
import { HttpResponseReader } from "./http-response-reader.js";
import { environmentError, inputError, isSafebuildError } from "../errors.js";
import { sourceLost, type Pump, type PumpOptions } from "../bytes/pump.js";
import type { EngineAddress } from "./endpoint.js";

/**
 * Messages from the reader thread. `status` comes first; `data` chunks are whole ArrayBuffers,
 * transferred, never copied again; `failed` carries a socket error's code and our own reason
 * ("closed": before any answer; EPROTO: what was malformed), never bytes from the engine.
 */
export type ReaderMessage =
  | { readonly kind: "status"; readonly status: number }
  | { readonly kind: "data"; readonly bytes: ArrayBuffer; readonly length: number }
  | { readonly kind: "end" }
  | { readonly kind: "failed"; readonly code: string; readonly connected: boolean; readonly reason: string };

/** Where the engine listens, and over TLS when it says so. */
type EngineRequest = EngineAddress;

/**
 * What the main thread tells the reader thread: where to GET what, once known, or a walked
 * chunk to refill.
 */
type ReaderCommand = { readonly get: string; readonly request: EngineRequest } | { readonly bytes: ArrayBuffer; readonly length: number };

export interface ReaderSetup {
  /** bytes the main thread may have outstanding before the socket is paused */
  readonly readAhead: number;
  /** the socket's 64 KiB reads are gathered into chunks of this size before they are posted */
  readonly chunk: number;
}

/**
 * The body of the reader thread, serialized with `toString` and run with `eval`, so it must not
 * name anything outside itself (it gets its modules as arguments). Its own event loop drains the
 * socket while the main thread walks and matches: with both on one thread, dockerd blocked on a
 * full socket buffer each time the main thread was busy, and the scan's ups and downs added to
 * dockerd's. The socket is read into one reused buffer (`onread`), the body gathered into
 * chunks that travel to the main thread and back (transferred, never copied).
 */
function readerThread(threads: typeof Threads, net: typeof Net, tls: typeof Tls, Reader: typeof HttpResponseReader): void {
  const port = threads.parentPort!;
  const IDLE_MS = 20;
  const setup = threads.workerData as ReaderSetup;
  const response = new Reader();
  const free: Buffer[] = [];
  const take = (): Buffer => free.pop() ?? Buffer.allocUnsafeSlow(setup.chunk);
  let buffer = take();
  let filled = 0;
  let outstanding = 0;
  let paused = false;
  let finished = false;
  let socket: Net.Socket | null = null;
  // A partial chunk goes out once the socket has been quiet a while: the archive's last bytes
  // must not wait for the reply's end (dockerd removes its temp export before it ends it).
  let lastRead = 0;
  let idle: ReturnType<typeof setTimeout> | null = null;
  const flushIdle = (): void => {
    idle = null;
    if (finished || filled === 0) return;
    const quiet = performance.now() - lastRead;
    if (quiet >= IDLE_MS) post();
    else idle = setTimeout(flushIdle, IDLE_MS - quiet);
  };
  const stop = (message: ReaderMessage): void => {
    if (finished) return;
    finished = true;
    if (idle !== null) clearTimeout(idle);
    port.postMessage(message);
    socket?.destroy();
    port.close();
  };
  const post = (): void => {
    if (filled === 0) return;
    const bytes = buffer.buffer as ArrayBuffer;
    port.postMessage({ kind: "data", bytes, length: filled }, [bytes]);
    outstanding += filled;
    buffer = take();
    filled = 0;
  };
  const onBody = (bytes: Uint8Array, start: number, end: number): void => {
    while (start < end) {
      const count = Math.min(end - start, setup.chunk - filled);
      buffer.set(bytes.subarray(start, start + count), filled);
      filled += count;
      start += count;
      if (filled === setup.chunk) post();
    }
  };
  port.on("message", (command: ReaderCommand) => {
    if ("get" in command) return connect(command.get, command.request);
    const returned = command;
    outstanding -= returned.length;
    if (returned.bytes.byteLength === setup.chunk) free.push(Buffer.from(returned.bytes));
    if (paused && outstanding < setup.readAhead / 2 && socket) {
      paused = false;
      socket.resume();
    }
  });
  let statusSent = false;
  const onRead = (count: number, bytes: Buffer): boolean => {
    if (finished) return false;
    try {
      response.feed(bytes, 0, count, onBody);
    } catch (error) {
      stop({ kind: "failed", code: "EPROTO", connected: true, reason: (error as Error).message });
      return false;
    }
    if (response.headRead && !statusSent) {
      statusSent = true;
      port.postMessage({ kind: "status", status: response.status });
      if (response.status !== 200) {
        finished = true;
        socket?.destroy();
        port.close();
        return false;
      }
    }
    if (response.done) {
      post();
      stop({ kind: "end" });
      return false;
    }
    lastRead = performance.now();
    if (filled > 0 && idle === null) idle = setTimeout(flushIdle, IDLE_MS);
    if (outstanding >= setup.readAhead) {
      paused = true;
      return false;
    }
    return true;
  };
  // the thread starts before the path is known (its start takes longer than an image inspect)
  function connect(path: string, request: EngineRequest): void {
    if (finished || socket !== null) return;
    const { socketPath, host, port: tcpPort, tls: secure } = request;
    const onread = { buffer: Buffer.allocUnsafeSlow(65536), callback: onRead };
    const where = socketPath ? { path: socketPath } : { host: host ?? "localhost", port: Number(tcpPort) };
    // a TLS endpoint: the request goes out only once the handshake (and the engine's certificate) is done
    // tls.connect takes `onread` as net.connect does (node's docs; @types/node leaves it out)
    const opened = secure ? tls.connect(Object.assign({ ...where, ...secure }, { onread })) : net.connect({ ...where, onread });
    socket = opened;
    opened.on(secure ? "secureConnect" : "connect", () => opened.write(`GET ${path} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n`));
    opened.on("end", () => {
      if (finished) return;
      try {
        response.end();
      } catch {
        return stop({ kind: "failed", code: "ECONNRESET", connected: statusSent, reason: statusSent ? "" : "closed" });
      }
      post();
      stop({ kind: "end" });
    });
    opened.on("error", (error: NodeJS.ErrnoException) =>
      stop({ kind: "failed", code: typeof error.code === "string" ? error.code : "ECONNRESET", connected: statusSent, reason: "" }),
    );
  }
}

const SOURCE = `(${readerThread.toString()})(require("node:worker_threads"), require("node:net"), require("node:tls"), ${HttpResponseReader.toString()})`;

/** What the reader thread may hold ahead of the walk: as fast as more, the least memory (docs/performance.md). */
const READ_AHEAD_BYTES = 8 * 1024 * 1024;
const CHUNK_BYTES = 1024 * 1024;

export interface EngineExport {
  readonly pump: Pump;
  /** stops the reader thread (idempotent); call it whatever happened */
  close(): Promise<void>;
}

/** What to export, once known: the path to GET and what a 404 says was missing. */
export interface ExportTarget {
  readonly path: string;
  readonly subject: string;
}

/**
 * `GET path` on the engine, read by a thread of its own, started now and asked for the export
 * once `target` resolves (an image inspect, say: starting a thread takes about 0.1 s here,
 * longer than the inspect). Resolves once the engine has answered 200 (or rejects with what its
 * status means; a rejected `target` is what it rejects with), then `pump` walks the body on this
 * thread.
 */
export function engineExport(
  request: EngineRequest,
  display: string,
  target: Promise<ExportTarget>,
  options: PumpOptions,
): Promise<EngineExport> {
  let subject = "";
  const queue: Buffer[] = [];
  let ended = false;
  let failure: { error: unknown } | null = null;
  let wake: (() => void) | null = null;
  let answered: ((status: number) => void) | null = null;
  let refused: ((error: unknown) => void) | null = null;
  const poke = (): void => {
    const resume = wake;
    wake = null;
    resume?.();
  };
  const fail = (error: unknown): void => {
    failure ??= { error };
    // Before the engine has answered, a lost connection is the engine's failing, not a cut archive.
    const aborted = options.signal?.aborted === true && error === options.signal.reason;
    refused?.(aborted || isSafebuildError(error) ? error : environmentError(`the Docker engine at ${display} closed the connection before answering`, error));
    poke();
  };
  const reader = startReader(
    request,
    {
      onMessage(message) {
        switch (message.kind) {
          case "status":
            answered?.(message.status);
            return;
          case "data":
            queue.push(Buffer.from(message.bytes, 0, message.length));
            return poke();
          case "end":
            ended = true;
            return poke();
          case "failed":
            return fail(
              message.code === "EPROTO"
                ? environmentError(`the Docker engine at ${display} sent a malformed reply (${message.reason})`)
                : message.connected
                  ? sourceLost(Object.assign(new Error(message.code), { code: message.code }))
                  : message.reason === "closed"
                    ? environmentError(`the Docker engine at ${display} closed the connection before answering`)
                    : environmentError(`cannot reach the Docker engine at ${display} (${message.code})`),
            );
        }
      },
      onError: (error) => fail(sourceLost(error)),
      onExit: () => {
        if (!ended) fail(sourceLost(undefined));
      },
    },
  );
  const onAbort = (): void => fail(options.signal?.reason);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  target.then(
    (known) => {
      subject = known.subject;
      if (!failure) reader.get(known.path);
    },
    (error: unknown) => fail(error),
  );
  let closed: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      options.signal?.removeEventListener("abort", onAbort);
      queue.length = 0;
      await reader.stop();
    })();
    return closed;
  };
  const pump: Pump = async (sink, backlog) => {
    for (;;) {
      while (queue.length > 0 && sink.complete !== true) {
        if (failure) break;
        const chunk = queue.shift()!;
        options.onBytes?.(chunk.length);
        sink.write(chunk);
        // Every sink copies what it keeps (backlog.ts), so the buffer may go back once written.
        if (backlog.pending) await backlog.settle();
        reader.consumed(chunk);
      }
      // dockerd removes its temp copy of the export (0.4 s for 1 GB) before it ends the reply:
      // a complete archive need not wait for that, nor fail with what the connection does next
      if (sink.complete === true) break;
      if (failure) throw failure.error;
      if (ended) break;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    sink.end();
    await backlog.settle();
  };
  return new Promise<EngineExport>((resolve, reject) => {
    // an already-aborted signal: nothing will be asked of the engine
    if (failure) return reject(failure.error);
    refused = reject;
    answered = (status) => {
      refused = null;
      if (status === 200) return resolve({ pump, close });
      void close();
      if (status === 404) reject(inputError(`no such image: ${subject}`));
      else reject(environmentError(`the Docker engine answered ${status} to an image export`));
    };
  }).catch(async (error: unknown) => {
    await close();
    throw error;
  });
}

interface ReaderHandlers {
  onMessage(message: ReaderMessage): void;
  onExit(code: number): void;
  onError(error: unknown): void;
}

/** Where a reader thread started ahead of need waits, shared by the launcher's bundle and the CLI's. */
const PRESTARTED = Symbol.for("safebuild.engine-reader");

interface Prestarted {
  readonly worker: Worker;
  /** the thread failed or exited before anyone needed it */
  early: "error" | "exit" | null;
}

const newReader = (): Worker =>
  new Worker(SOURCE, { eval: true, workerData: { readAhead: READ_AHEAD_BYTES, chunk: CHUNK_BYTES } satisfies ReaderSetup, stdout: true, stderr: true, resourceLimits: { maxOldGenerationSizeMb: 32 } });

/**
 * Starts a reader thread now, for the next engine export of this process: a thread takes about
 * 0.1 s to start here, which the launcher spends beside loading the CLI (see src/bin). Unused,
 * it does not keep the process alive. Once per process: the launcher calls it.
 */
export function prestartReader(): void {
  const slot = globalThis as { [PRESTARTED]?: Prestarted };
  if (slot[PRESTARTED] !== undefined) return;
  const prestarted: Prestarted = { worker: newReader(), early: null };
  prestarted.worker.unref();
  prestarted.worker.once("error", () => (prestarted.early ??= "error"));
  prestarted.worker.once("exit", () => (prestarted.early ??= "exit"));
  slot[PRESTARTED] = prestarted;
}

/** The prestarted reader thread, once (it is then this caller's), if it is still sound. */
function takePrestarted(): Worker | undefined {
  const slot = globalThis as { [PRESTARTED]?: Prestarted | null };
  const prestarted = slot[PRESTARTED] ?? undefined;
  if (prestarted === undefined) return undefined;
  slot[PRESTARTED] = null;
  prestarted.worker.removeAllListeners();
  // one that failed before it was needed is dropped: a new one starts as if there were none
  if (prestarted.early !== null) {
    void prestarted.worker.terminate();
    return undefined;
  }
  prestarted.worker.ref();
  return prestarted.worker;
}

/** Starts (or takes) the reader thread; `consumed(chunk)` hands a walked chunk's buffer back to it, to refill. */
function startReader(request: EngineRequest, handlers: ReaderHandlers): { get(path: string): void; consumed(chunk: Buffer): void; stop(): Promise<number> } {
  const worker = takePrestarted() ?? newReader();
  worker.on("message", (message: ReaderMessage) => handlers.onMessage(message));
  worker.on("error", (error) => handlers.onError(error));
  worker.on("exit", (code) => handlers.onExit(code));
  return {
    get: (path) => worker.postMessage({ get: path, request } satisfies ReaderCommand),
    consumed: (chunk) => worker.postMessage({ bytes: chunk.buffer as ArrayBuffer, length: chunk.length } satisfies ReaderCommand, [chunk.buffer as ArrayBuffer]),
    stop: () => worker.terminate(),
  };
}
