import type { Writable } from "node:stream";
import type { SecretValue } from "../secrets/secret-value.js";

/**
 * Replaces every known secret value and its encodings with `***`.
 * One instance per run, created by cli.ts before anything is resolved; providers and
 * commands register each secret as soon as its bytes exist.
 */
export interface Masker {
  add(id: string, value: SecretValue): void;
  /** Also mask a value that is not a build secret (a Vault token read from disk, say). */
  addSensitive(value: Buffer): void;
  /** Other programs' output: values, their encodings, and pieces of them (fragments.ts). */
  maskBuffer(chunk: Buffer): Buffer;
  /** A field of safebuild's output (a path, a history line): values and their encodings. */
  maskString(text: string): string;
  /**
   * Masks text safebuild composed (a message, a report): as maskString, except that a hit lying
   * wholly inside one of its own fixed words (own-words.ts) is left as written.
   */
  maskOwn(text: string): string;
  /**
   * A stream that masks what is written to it and forwards the result to `target`.
   * It holds back a tail so values split across writes are still found, and flushes a
   * partial line after a short delay so live logs stay live.
   */
  wrap(target: Writable): MaskedStream;
  /** Drop every registered value (and zero the masker's own copies). */
  wipe(): void;
}

export interface MaskedStream extends Writable {
  /** Writes text safebuild composed, masked as `Masker.maskOwn`, after whatever is held back. */
  say(text: string, done?: () => void): void;
  /** Write out whatever is held back (masked) and wait for it to reach the target. */
  drain(): Promise<void>;
}
