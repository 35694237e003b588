import { setFlagsFromString } from "node:v8";
import type { Worker } from "node:worker_threads";

/** The one V8 flag that limits the young generation after the heap is set up: V8 reads it at each growth. */
export const GROWTH_FLAG = "--semi-space-growth-factor=1";

/**
 * Keeps V8's young generation at its initial size (1 MiB semi-spaces) for this process and its
 * threads. V8 doubles it whenever a young generation's worth of objects has survived since the
 * last growth, which a 1 GB scan always reaches: 16 MiB semi-spaces on Node 20, 32 MiB on 24, all
 * of it resident. Measured on the bench tar: peak RSS 148-153 → 115-119 MB, CPU unchanged
 * (docs/performance.md). `--max-semi-space-size` would say it plainly but counts only when node
 * starts, and a bin cannot pass node flags portably; a user who sets either flag keeps theirs.
 */
export function capYoungGeneration(env: NodeJS.ProcessEnv, execArgv: readonly string[], setFlags: (flags: string) => void = setFlagsFromString, v8Version = process.versions.v8): boolean {
  const chosen = [...execArgv, ...(env["NODE_OPTIONS"] ?? "").split(/\s+/)].some((arg) => /^--(max[-_]semi[-_]space[-_]size|semi[-_]space[-_]growth[-_]factor)(=|$)/.test(arg));
  if (chosen || !knownV8(v8Version)) return false;
  setFlags(GROWTH_FLAG);
  capped = true;
  return true;
}

let capped = false;

/**
 * V8 prints "unrecognized flag" to stderr for a flag it does not know, so the flag is set only
 * where it was checked: node 20, 22, 24, 25 and 26 (V8 11.3 to 14.6) know it and keep the young
 * generation at 2 MiB with it, worker threads included.
 */
function knownV8(version: string): boolean {
  const major = Number(version.split(".")[0]);
  return major >= 11 && major <= 14;
}

/**
 * Node puts V8's flags back as the command line gave them while a worker thread boots, so the
 * cap is set again once the worker runs (measured: without it the main thread grew to 32 MiB).
 */
export function keepYoungGenerationCapped(worker: Worker): Worker {
  if (capped) worker.once("online", () => setFlagsFromString(GROWTH_FLAG));
  return worker;
}
