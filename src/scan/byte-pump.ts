import { open } from "node:fs/promises";
import type { Readable } from "node:stream";
import type { Backlog, ByteSink } from "./backlog.js";

export interface PumpOptions {
  readonly signal?: AbortSignal | undefined;
  readonly onBytes?: ((count: number) => void) | undefined;
}

/** Pushes a byte source into `sink`, settling `backlog` between chunks; rejects with the source's errors. */
export type Pump = (sink: ByteSink, backlog: Backlog) => Promise<void>;

/**
 * Two read buffers, reused: one is read into while the other is walked. Fresh buffers per read
 * (fs.createReadStream) cost ten times the reading itself (page faults, GC); reuse is safe
 * because every ByteSink copies what it keeps.
 */
const FILE_CHUNK = 1024 * 1024;

export function filePump(path: string, options: PumpOptions): Pump {
  return async (sink, backlog) => {
    const handle = await open(path, "r");
    const buffers = [Buffer.allocUnsafe(FILE_CHUNK), Buffer.allocUnsafe(FILE_CHUNK)] as const;
    let turn = 0;
    let next = handle.read(buffers[0], 0, FILE_CHUNK, null);
    try {
      for (;;) {
        const { bytesRead } = await next;
        if (bytesRead === 0) break;
        const current = buffers[turn]!;
        turn ^= 1;
        next = handle.read(buffers[turn]!, 0, FILE_CHUNK, null);
        if (options.signal?.aborted) throw options.signal.reason;
        options.onBytes?.(bytesRead);
        sink.write(bytesRead === FILE_CHUNK ? current : current.subarray(0, bytesRead));
        await backlog.settle();
      }
      sink.end();
      await backlog.settle();
    } finally {
      await next.catch(() => undefined);
      await handle.close();
    }
  };
}

/**
 * While the backlog settles, chunks keep being read into a queue, up to this many bytes, before
 * the stream is paused. A paused socket stalls dockerd's export (it blocks on a full socket
 * buffer), and pause/resume cycles turned "as fast as docker save" into "save time plus scan
 * time"; the queue keeps both sides busy at a bounded cost in memory.
 */
const READ_AHEAD_BYTES = 8 * 1024 * 1024;

/**
 * A Readable (the engine's HTTP response) in flowing mode: each chunk is walked as it arrives,
 * without the copy async iteration makes when chunks queue up; queued while the backlog
 * settles, and paused only when the queue is full.
 */
export function readablePump(stream: Readable, options: PumpOptions): Pump {
  return (sink, backlog) =>
    new Promise<void>((resolve, reject) => {
      let done = false;
      let ended = false;
      let draining = false;
      const queue: Buffer[] = [];
      let queued = 0;
      const fail = (error: unknown): void => {
        if (done) return;
        done = true;
        queue.length = 0;
        stream.destroy();
        reject(error);
      };
      let finishing = false;
      const finish = (): void => {
        if (finishing) return;
        finishing = true;
        try {
          sink.end();
        } catch (error) {
          return fail(error);
        }
        backlog.settle().then(() => {
          done = true;
          resolve();
        }, fail);
      };
      /** Walks queued chunks until the backlog has work in flight, then waits for it. */
      const drain = (): void => {
        while (!done && queue.length > 0 && !backlog.pending) {
          const chunk = queue.shift()!;
          queued -= chunk.length;
          try {
            sink.write(chunk);
          } catch (error) {
            return fail(error);
          }
        }
        if (done) return;
        if (queued < READ_AHEAD_BYTES && stream.isPaused() && !ended) stream.resume();
        if (backlog.pending) {
          draining = true;
          backlog.settle().then(() => {
            draining = false;
            drain();
          }, fail);
          return;
        }
        if (ended && queue.length === 0) finish();
      };
      stream.on("data", (chunk: Buffer) => {
        if (done) return;
        if (options.signal?.aborted) return fail(options.signal.reason);
        options.onBytes?.(chunk.length);
        queue.push(chunk);
        queued += chunk.length;
        if (queued >= READ_AHEAD_BYTES) stream.pause();
        if (!draining) drain();
      });
      stream.once("end", () => {
        if (done) return;
        ended = true;
        if (!draining) drain();
      });
      stream.once("error", (error) => fail(sourceLost(error)));
      stream.once("close", () => {
        if (!stream.readableEnded) fail(sourceLost(undefined));
      });
    });
}

/**
 * The source itself failed (a socket reset, a response cut short): marked as a system error
 * (`syscall`), which is how the archive reader tells a lost source, for the caller to
 * describe, from a corrupt archive. An HTTP response cut short says only `aborted`, with no
 * syscall, and would otherwise pass for a truncated archive.
 */
function sourceLost(cause: unknown): NodeJS.ErrnoException {
  const code = cause !== null && typeof cause === "object" && "code" in cause && typeof cause.code === "string" ? cause.code : "ECONNRESET";
  return Object.assign(new Error("the byte source closed before its end", { cause }), { code, syscall: "read" });
}
