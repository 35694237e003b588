import type { Writable } from "node:stream";
import { formatBytes, printable } from "./text.js";

export interface Progress {
  update(bytesRead: number): void;
  /** Erases the indicator so the report starts on a clean line. */
  done(): void;
}

const CLEAR_LINE = "\r\u001b[K";

/**
 * A one-line "bytes read" indicator rewritten in place, at most every `intervalMs`:
 * a scan reports progress per chunk, far more often than a terminal can show.
 */
export function createProgress(
  stream: Writable,
  ref: string,
  options: { readonly intervalMs?: number; readonly now?: () => number } = {},
): Progress {
  const interval = options.intervalMs ?? 200;
  const now = options.now ?? Date.now;
  const started = now();
  let last = -Infinity;
  let shown = false;
  return {
    update(bytesRead) {
      const t = now();
      if (t - last < interval) return;
      last = t;
      shown = true;
      const seconds = ((t - started) / 1000).toFixed(0);
      stream.write(`${CLEAR_LINE}scanning ${printable(ref)}: ${formatBytes(bytesRead)} read, ${seconds} s`);
    },
    done() {
      if (shown) stream.write(CLEAR_LINE);
      shown = false;
    },
  };
}
