import { open } from "node:fs/promises";
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
 * The source itself failed (a socket reset, a response cut short): marked as a system error
 * (`syscall`), which is how the archive reader tells a lost source, for the caller to
 * describe, from a corrupt archive. An HTTP response cut short says only `aborted`, with no
 * syscall, and would otherwise pass for a truncated archive.
 */
export function sourceLost(cause: unknown): NodeJS.ErrnoException {
  const code = cause !== null && typeof cause === "object" && "code" in cause && typeof cause.code === "string" ? cause.code : "ECONNRESET";
  return Object.assign(new Error("the byte source closed before its end", { cause }), { code, syscall: "read" });
}
