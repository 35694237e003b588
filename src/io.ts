import type { MaskedStream } from "./redact/masker-api.js";

/**
 * The only way library code talks to the user. cli.ts builds it over process.stdout/stderr
 * with the masker in between, so nothing written here can show a secret value.
 */
export interface Io {
  /** Machine output (json/sarif reports). `say` writes text safebuild composed (own-words.ts). */
  readonly out: MaskedStream;
  /** Human output: the build log, progress, text reports. */
  readonly err: MaskedStream;
  /** A one-line warning, prefixed and newline-terminated by the implementation. */
  warn(message: string): void;
  /** A one-line notice (what is about to happen). */
  info(message: string): void;
  /** True when stderr is a terminal (progress indicators). */
  readonly interactive: boolean;
}
