import type { Writable } from "node:stream";
import type { ScanProgress } from "../scan/scan-progress.js";
import { formatBytes } from "./text.js";
import { printable } from "./printable.js";

export interface Progress extends ScanProgress {
  /** Erases the indicator so the report starts on a clean line. */
  done(): void;
}

export interface ProgressOptions {
  /** At most one redraw per this many ms (a scan reports far more often than a terminal shows). */
  readonly intervalMs?: number;
  readonly now?: () => number;
  /** While the engine prepares its export, the elapsed seconds tick at this pace; 0: never. */
  readonly tickMs?: number;
}

const CLEAR_LINE = "\r\u001b[K";
/** The line must fit an 80-column terminal: a wrapped line cannot be redrawn in place. */
const MAX_REF = 28;

const shortRef = (ref: string): string => {
  const shown = printable(ref);
  return shown.length <= MAX_REF ? shown : `…${shown.slice(-(MAX_REF - 1))}`;
};

/**
 * One line on a terminal, rewritten in place: first the phase before the first byte ("waiting
 * for the engine to export app:1 (1.5 GiB)… 4 s"), then layer n/N, bytes of the total, percent
 * and rate. Only for a terminal (the caller checks): a captured log gets none of it.
 */
export function createProgress(stream: Writable, ref: string, options: ProgressOptions = {}): Progress {
  const interval = options.intervalMs ?? 100;
  const now = options.now ?? Date.now;
  const started = now();
  const name = shortRef(ref);
  let totalBytes: number | undefined;
  let totalLayers: number | undefined;
  let exporting = false;
  let layer = 0;
  let bytes = 0;
  let firstByteAt: number | undefined;
  let last = -Infinity;
  let shown = false;
  let ticker: NodeJS.Timeout | undefined;

  const stopTicking = (): void => {
    if (ticker !== undefined) clearInterval(ticker);
    ticker = undefined;
  };
  const line = (t: number): string => {
    if (bytes === 0 && exporting) {
      const size = totalBytes === undefined ? "" : ` (${formatBytes(totalBytes)})`;
      return `waiting for the engine to export ${name}${size}… ${Math.floor((t - started) / 1000)} s`;
    }
    const parts = [`scanning ${name}`];
    if (layer > 0) parts.push(totalLayers === undefined ? `layer ${layer}` : `layer ${Math.min(layer, totalLayers)}/${totalLayers}`);
    if (totalBytes !== undefined && totalBytes > 0) {
      // the export's tar headers make it a little larger than the image's size
      const percent = Math.min(99, Math.floor((bytes / totalBytes) * 100));
      parts.push(`${formatBytes(bytes)} of ${formatBytes(totalBytes)}`, `${percent}%`);
    } else {
      parts.push(`${formatBytes(bytes)} read`);
    }
    // the engine's seconds of preparing are not reading: its rate counts from the first byte
    const from = exporting ? firstByteAt : started;
    const seconds = from === undefined ? 0 : (t - from) / 1000;
    if (seconds >= 0.5) parts.push(`${formatBytes(bytes / seconds)}/s`);
    return parts.join("  ");
  };
  const draw = (force: boolean): void => {
    const t = now();
    if (!force && t - last < interval) return;
    last = t;
    shown = true;
    stream.write(`${CLEAR_LINE}${line(t)}`);
  };

  return {
    expect(total) {
      totalBytes = total.bytes ?? totalBytes;
      totalLayers = total.layers ?? totalLayers;
      if (total.exporting === true && bytes === 0) {
        exporting = true;
        draw(true);
        const tick = options.tickMs ?? 1000;
        if (tick > 0 && ticker === undefined) {
          ticker = setInterval(() => draw(true), tick);
          ticker.unref();
        }
      }
    },
    layer() {
      layer += 1;
      draw(false);
    },
    read(bytesRead) {
      if (bytesRead > 0 && firstByteAt === undefined) {
        firstByteAt = now();
        stopTicking();
      }
      bytes = bytesRead;
      draw(false);
    },
    done() {
      stopTicking();
      if (shown) stream.write(CLEAR_LINE);
      shown = false;
    },
  };
}
