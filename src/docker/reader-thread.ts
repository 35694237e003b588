import { Worker } from "node:worker_threads";
import { keepYoungGenerationCapped } from "../process/young-generation.js";
import type { EngineAddress } from "./endpoint.js";
import type { ReaderCommand, ReaderMessage, ReaderSetup } from "./export-protocol.js";

/** What the reader thread may hold ahead of the walk: as fast as more, the least memory (docs/performance.md). */
const READ_AHEAD_BYTES = 8 * 1024 * 1024;
const CHUNK_BYTES = 1024 * 1024;

/**
 * The thread's module (export-thread.ts), built beside this one: by tsc into dist/docker/, and
 * by scripts/bundle.mjs next to whichever bundle file holds this code. Run from its TypeScript
 * source (vitest), this takes tsc's build of it (`npm test` builds first): node cannot start
 * a worker from a .ts file.
 */
export function threadModule(here: string = import.meta.url): URL {
  return here.endsWith(".ts") ? new URL("../../dist/docker/export-thread.js", here) : new URL("./export-thread.js", here);
}

export interface ReaderHandlers {
  onMessage(message: ReaderMessage): void;
  onExit(code: number): void;
  onError(error: unknown): void;
}

export interface ReaderThread {
  /** asks for `GET path` (once) */
  get(path: string): void;
  /** hands a walked chunk's buffer back to the thread, to refill */
  consumed(chunk: Buffer): void;
  stop(): Promise<number>;
}

const newWorker = (): Worker =>
  keepYoungGenerationCapped(
    new Worker(threadModule(), {
      workerData: { readAhead: READ_AHEAD_BYTES, chunk: CHUNK_BYTES } satisfies ReaderSetup,
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: 32 },
    }),
  );

/** A thread started ahead of need, and whether it failed or exited before anyone took it. */
let prestarted: { readonly worker: Worker; early: "error" | "exit" | null } | null = null;

/**
 * Starts a reader thread now, for this process's next engine export: a thread takes longer to
 * start than the CLI takes to load and inspect the image (docs/performance.md), so the CLI's
 * entry (src/bin/main.ts) starts it first. Unused, it does not keep the process alive.
 * Returns the thread (tests end it to see a dead one dropped).
 */
export function prestartReaderThread(): Worker {
  if (prestarted !== null) return prestarted.worker;
  const waiting = { worker: newWorker(), early: null as "error" | "exit" | null };
  waiting.worker.unref();
  waiting.worker.once("error", () => (waiting.early ??= "error"));
  waiting.worker.once("exit", () => (waiting.early ??= "exit"));
  prestarted = waiting;
  return waiting.worker;
}

/** Ends a prestarted thread no export will take (the image is read from the engine's storage). */
export function dropPrestartedReaderThread(): void {
  void takePrestarted()?.terminate();
}

/** Whether a prestarted thread waits for the next export. */
export const readerThreadWaiting = (): boolean => prestarted !== null;

/** The prestarted thread, once (it is then the caller's), if it is still sound. */
function takePrestarted(): Worker | undefined {
  const taken = prestarted;
  prestarted = null;
  if (taken === null) return undefined;
  taken.worker.removeAllListeners();
  // one that failed before it was needed is dropped: a new one starts as if there were none
  if (taken.early !== null) {
    void taken.worker.terminate();
    return undefined;
  }
  taken.worker.ref();
  return taken.worker;
}

/** Starts (or takes the prestarted) reader thread for an export from the engine at `request`. */
export function startReaderThread(request: EngineAddress, handlers: ReaderHandlers): ReaderThread {
  const worker = takePrestarted() ?? newWorker();
  worker.on("message", (message: ReaderMessage) => handlers.onMessage(message));
  worker.on("error", (error) => handlers.onError(error));
  worker.on("exit", (code) => handlers.onExit(code));
  return {
    get: (path) => worker.postMessage({ get: path, request } satisfies ReaderCommand),
    consumed: (chunk) => worker.postMessage({ bytes: chunk.buffer as ArrayBuffer, length: chunk.length } satisfies ReaderCommand, [chunk.buffer as ArrayBuffer]),
    stop: () => worker.terminate(),
  };
}
