import type { Gunzip, InflateRaw } from "node:zlib";

/**
 * zlib's native handle, as node's own synchronous calls drive it (lib/zlib.js, processChunkSync,
 * the same in node 20, 22 and 24): `writeSync` inflates into the output range it is given and
 * leaves what is still free of the output and of the input in the stream's `_writeState`. Node
 * keeps that shape because npm's own zlib wrapper relies on it (lib/zlib.js says so where it
 * sets `_writeState` up); a node without it gets zlib's public calls instead.
 */
export interface ZlibHandle {
  writeSync(flush: number, input: Uint8Array, inOffset: number, inLength: number, output: Uint8Array, outOffset: number, outLength: number): void;
  onerror: (message: string, errno: number) => void;
  reset(): void;
  close(): void;
}

/** The native handle and its `_writeState` of a fresh zlib stream; null on a node that lacks that shape. */
export function handleOf(stream: Gunzip | InflateRaw): { handle: ZlibHandle; state: Uint32Array } | null {
  const inner = stream as unknown as { _handle?: Partial<ZlibHandle> | null; _writeState?: unknown };
  const handle = inner._handle;
  const state = inner._writeState;
  if (handle == null || !(state instanceof Uint32Array) || state.length < 2) return null;
  if (typeof handle.writeSync !== "function" || typeof handle.reset !== "function" || typeof handle.close !== "function") return null;
  return { handle: handle as ZlibHandle, state };
}
