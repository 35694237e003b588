import { createHmac, randomBytes } from "node:crypto";
import { inspect } from "node:util";

/**
 * A secret's bytes, opaque to everything that might print or serialize it.
 * `String(v)`, `JSON.stringify(v)` and `util.inspect(v)` all give a placeholder, so a stray
 * log line or error interpolation shows the id, not the value.
 */
export class SecretValue {
  readonly #bytes: Buffer;
  #wiped = false;

  private constructor(bytes: Buffer) {
    this.#bytes = bytes;
  }

  /** Takes ownership of `bytes`: the caller must not keep or reuse the buffer. */
  static adopt(bytes: Buffer): SecretValue {
    return new SecretValue(bytes);
  }

  /** Copies `bytes` (e.g. a slice of a larger buffer the caller wipes itself). */
  static copyOf(bytes: Uint8Array): SecretValue {
    return new SecretValue(Buffer.from(bytes));
  }

  get length(): number {
    return this.#bytes.length;
  }

  get wiped(): boolean {
    return this.#wiped;
  }

  /** The bytes themselves. Only writers of temp files, matchers and maskers may call this. */
  expose(): Buffer {
    if (this.#wiped) throw new Error("secret value used after wipe");
    return this.#bytes;
  }

  equals(other: Uint8Array): boolean {
    return !this.#wiped && this.#bytes.equals(other);
  }

  /** A short keyed fingerprint: shows whether two values are the same without revealing either. */
  fingerprint(key: Buffer = fingerprintKey): string {
    return createHmac("sha256", key).update(this.expose()).digest("hex").slice(0, 12);
  }

  wipe(): void {
    this.#bytes.fill(0);
    this.#wiped = true;
  }

  toString(): string {
    return "[secret]";
  }

  toJSON(): string {
    return "[secret]";
  }

  [inspect.custom](): string {
    return "[secret]";
  }
}

/** Per-process key, so fingerprints cannot be compared across runs to guess values. */
const fingerprintKey = randomBytes(32);
