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

/**
 * What the main thread tells the reader thread: where to GET what, once known, or a walked
 * chunk to refill.
 */
export type ReaderCommand = { readonly get: string; readonly request: EngineAddress } | { readonly bytes: ArrayBuffer; readonly length: number };

/** The thread's `workerData`. */
export interface ReaderSetup {
  /** bytes the main thread may have outstanding before the socket is paused */
  readonly readAhead: number;
  /** the socket's 64 KiB reads are gathered into chunks of this size before they are posted */
  readonly chunk: number;
}
