import type { SecretValue } from "./secret-value.js";

/** Where a secret came from; the names appear in reports (`secrets[].source`). */
export type SourceKind = "env" | "file" | "dotenv" | "vault" | "cmd";

/** A parsed, not yet resolved, reference to a secret. */
export interface SecretRef {
  readonly id: string;
  readonly kind: SourceKind;
  /** The provider's argument: env var name, path, `PATH#KEY`, command. Never a value. */
  readonly target: string;
  /** The original spec text, for error messages (it holds references, not values). */
  readonly spec: string;
  /**
   * Docker form with neither `src` nor `env`: the env var named ID if set, else this file
   * (BuildKit's own rule), decided when resolving, not when parsing.
   */
  readonly fallbackFile?: string;
}

export interface ResolvedSecret {
  readonly id: string;
  readonly kind: SourceKind;
  readonly value: SecretValue;
}
