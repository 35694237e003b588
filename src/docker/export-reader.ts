import { environmentError, inputError, isSafebuildError } from "../errors.js";
import { sourceLost, type Pump, type PumpOptions } from "../bytes/pump.js";
import type { EngineAddress } from "./endpoint.js";
import type { ReaderMessage } from "./export-protocol.js";
import { startReaderThread, type ReaderThread } from "./reader-thread.js";

export type { ReaderMessage } from "./export-protocol.js";

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

/** The reader thread's chunks on this thread, and what ended them. */
class Received {
  readonly queue: Buffer[] = [];
  ended = false;
  failure: { error: unknown } | null = null;
  #wake: (() => void) | null = null;

  /** wakes the pump if it waits for a chunk, the end or a failure */
  poke(): void {
    const resume = this.#wake;
    this.#wake = null;
    resume?.();
  }

  next(): Promise<void> {
    return new Promise<void>((resolve) => (this.#wake = resolve));
  }
}

/** The reader thread's `failed` message as the error it means; never bytes from the engine. */
function failedError(message: Extract<ReaderMessage, { kind: "failed" }>, display: string): unknown {
  if (message.code === "EPROTO") return environmentError(`the Docker engine at ${display} sent a malformed reply (${message.reason})`);
  if (message.connected) return sourceLost(Object.assign(new Error(message.code), { code: message.code }));
  if (message.reason === "closed") return environmentError(`the Docker engine at ${display} closed the connection before answering`);
  return environmentError(`cannot reach the Docker engine at ${display} (${message.code})`);
}

/** Walks the received chunks into the sink on this thread, each handed back once written. */
function pumpOf(received: Received, reader: ReaderThread, options: PumpOptions): Pump {
  return async (sink, backlog) => {
    for (;;) {
      while (received.queue.length > 0 && sink.complete !== true) {
        if (received.failure) break;
        const chunk = received.queue.shift()!;
        options.onBytes?.(chunk.length);
        sink.write(chunk);
        // Every sink copies what it keeps (backlog.ts), so the buffer may go back once written.
        if (backlog.pending) await backlog.settle();
        reader.consumed(chunk);
      }
      // dockerd removes its temp copy of the export (0.4 s for 1 GB) before it ends the reply:
      // a complete archive need not wait for that, nor fail with what the connection does next
      if (sink.complete === true) break;
      if (received.failure) throw received.failure.error;
      if (received.ended) break;
      await received.next();
    }
    sink.end();
    await backlog.settle();
  };
}

/**
 * `GET path` on the engine, read by a thread of its own, started now and asked for the export
 * once `target` resolves (an image inspect, say: starting a thread takes longer than the
 * inspect). Resolves once the engine has answered 200 (or rejects with what its status means;
 * a rejected `target` is what it rejects with), then `pump` walks the body on this thread.
 */
export function engineExport(request: EngineAddress, display: string, target: Promise<ExportTarget>, options: PumpOptions): Promise<EngineExport> {
  let subject = "";
  const received = new Received();
  let answered: ((status: number) => void) | null = null;
  let refused: ((error: unknown) => void) | null = null;
  const fail = (error: unknown): void => {
    received.failure ??= { error };
    // Before the engine has answered, a lost connection is the engine's failing, not a cut archive.
    const aborted = options.signal?.aborted === true && error === options.signal.reason;
    refused?.(aborted || isSafebuildError(error) ? error : environmentError(`the Docker engine at ${display} closed the connection before answering`, error));
    received.poke();
  };
  const reader = startReaderThread(request, {
    onMessage(message) {
      if (message.kind === "status") return answered?.(message.status);
      if (message.kind === "failed") return fail(failedError(message, display));
      if (message.kind === "data") received.queue.push(Buffer.from(message.bytes, 0, message.length));
      else received.ended = true;
      received.poke();
    },
    onError: (error) => fail(sourceLost(error)),
    onExit: () => {
      if (!received.ended) fail(sourceLost(undefined));
    },
  });
  const onAbort = (): void => fail(options.signal?.reason);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  target.then(
    (known) => {
      subject = known.subject;
      if (!received.failure) reader.get(known.path);
    },
    (error: unknown) => fail(error),
  );
  let closed: Promise<void> | null = null;
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      options.signal?.removeEventListener("abort", onAbort);
      received.queue.length = 0;
      await reader.stop();
    })());
  return new Promise<EngineExport>((resolve, reject) => {
    // an already-aborted signal: nothing will be asked of the engine
    if (received.failure) return reject(received.failure.error);
    refused = reject;
    answered = (status) => {
      refused = null;
      if (status === 200) return resolve({ pump: pumpOf(received, reader, options), close });
      void close();
      if (status === 404) reject(inputError(`no such image: ${subject}`));
      else reject(environmentError(`the Docker engine answered ${status} to an image export`));
    };
  }).catch(async (error: unknown) => {
    await close();
    throw error;
  });
}
