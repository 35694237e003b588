import type { Io } from "./io.js";
import type { MaskedStream, Masker } from "./redact/masker-api.js";

export interface ProcessIo extends Io {
  readonly out: MaskedStream;
  readonly err: MaskedStream;
  /** Flush held-back tails of both streams. */
  drain(): Promise<void>;
}

/**
 * stdout and stderr behind the masker. A closed stdout (`safebuild … | head -1`) must not
 * crash the run: cleanup still has to happen, so EPIPE is swallowed and later writes dropped.
 */
export function createIo(masker: Masker): ProcessIo {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") throw error;
    });
  }
  const out = masker.wrap(process.stdout);
  const err = masker.wrap(process.stderr);
  return {
    out,
    err,
    interactive: process.stderr.isTTY === true,
    warn: (message) => void err.write(`safebuild: warning: ${message}\n`),
    info: (message) => void err.write(`safebuild: ${message}\n`),
    drain: async () => {
      await Promise.all([out.drain(), err.drain()]);
    },
  };
}
