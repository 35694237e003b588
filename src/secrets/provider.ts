import type { Writable } from "node:stream";
import type { SecretValue } from "./secret-value.js";
import type { SecretTraces } from "./child-env.js";
import type { SecretRef } from "./secret.js";

export interface ProviderContext {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly home: string;
  readonly masker: SecretSink;
  readonly signal?: AbortSignal | undefined;
  /** Per-run memo shared by all refs of one kind (one Vault read per path, one parse per .env). */
  readonly memo: Map<string, Promise<unknown>>;
  /** Where a `cmd:` child's stderr goes, masked (usually ctx.io.err); dropped when absent. */
  readonly stderr?: Writable | undefined;
  /** Source variables and values resolved so far: kept from `cmd:` children (resolve adds each value). */
  readonly traces: SecretTraces;
  /** A one-line warning to the user (ctx.io.warn); dropped when absent. */
  readonly warn?: ((message: string) => void) | undefined;
}

/**
 * Reads one secret's bytes. Returns a fresh Buffer the caller owns (and wipes). Throws
 * SafebuildError (input) whose message names `ref.id` and the reference, never the value.
 */
export type Provider = (ref: SecretRef, ctx: ProviderContext) => Promise<Buffer>;

/**
 * Where resolved values go the moment their bytes exist, so nothing printed later can show
 * them: the masker (redact/) implements it; secrets/ owns the shape and depends on nothing there.
 */
export interface SecretSink {
  add(id: string, value: SecretValue): void;
  /** A value that is not a build secret but must never be shown (a Vault token read from disk). */
  addSensitive(value: Buffer): void;
  maskBuffer(chunk: Buffer): Buffer;
}
