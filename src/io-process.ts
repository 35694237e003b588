import type { Io } from "./io.js";
import type { MaskedStream, Masker } from "./redact/masker-api.js";
import { said } from "./redact/own-words.js";

export interface ProcessIo extends Io {
  readonly out: MaskedStream;
  readonly err: MaskedStream;
  /** Flush held-back tails of both streams. */
  drain(): Promise<void>;
}

/**
 * stdout and stderr behind the masker. A closed or failing output (`safebuild … | head -1`,
 * a full disk under `> report.json`) must not crash the run: cleanup still has to happen, so
 * write errors are swallowed and later writes dropped; the exit code still tells the outcome.
 */
export function createIo(masker: Masker): ProcessIo {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", () => undefined);
  }
  const out = masker.wrap(process.stdout);
  const err = masker.wrap(process.stderr);
  return {
    out,
    err,
    interactive: process.stderr.isTTY === true,
    // safebuild's own words pass as written; the message's data is masked (own-words.ts)
    warn: (message) => err.say(said`safebuild: warning: ${message}\n`),
    info: (message) => err.say(said`safebuild: ${message}\n`),
    drain: async () => {
      await Promise.all([out.drain(), err.drain()]);
    },
  };
}
