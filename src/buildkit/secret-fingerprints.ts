import { createHash } from "node:crypto";
import { join } from "node:path";
import { readJson } from "../docker/context.js";
import type { ResolvedSecret } from "../secrets/secret.js";
import type { Builder } from "./builder.js";
import { writeCacheFile } from "./cache-file.js";
import { fingerprintKey } from "./fingerprint-key.js";

/**
 * What each secret was (a keyed fingerprint, never the value or a plain hash) when a build
 * last succeeded with a builder, Dockerfile and target. BuildKit does not key its cache on
 * secret values, so a secret whose fingerprint differs, or that has none, may meet a cached
 * step that ran with another value: cache-bust.ts makes those steps run again.
 */
export interface FingerprintScope {
  readonly builder: Builder;
  /** Absolute path of the Dockerfile. */
  readonly dockerfile: string;
  readonly target: string | undefined;
  /** Which engine and builder instance the CLI talks to. */
  readonly env: NodeJS.ProcessEnv;
}

export type SecretChange = "changed" | "new";

export interface SecretFingerprints {
  /** The ids whose fingerprint differs from the last build in this scope ("changed") or that have none ("new"). */
  readonly changes: ReadonlyMap<string, SecretChange>;
  /** Remembers this build's values as what the cache now holds; best effort (call after a successful build). */
  record(): void;
}

export const FINGERPRINTS_FILE = "secret-fingerprints.json";
const MAX_SCOPES = 64;
const SCOPE_ENV = ["DOCKER_HOST", "DOCKER_CONTEXT", "BUILDX_BUILDER"];

interface Entry {
  readonly at: number;
  readonly ids: Record<string, string>;
}
type Entries = Record<string, Entry>;

export function scopeKey(scope: FingerprintScope): string {
  const parts = [scope.builder.kind, scope.builder.docker, ...SCOPE_ENV.map((name) => scope.env[name] ?? ""), scope.dockerfile, scope.target ?? ""];
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex");
}

/** Throws when `dir` cannot hold the key (see fingerprint-key.ts); a corrupt store reads as empty. */
export function compareFingerprints(dir: string, scope: FingerprintScope, secrets: readonly ResolvedSecret[]): SecretFingerprints {
  const key = fingerprintKey(dir);
  const scopeId = scopeKey(scope);
  const now = new Map(secrets.map((s) => [s.id, s.value.fingerprint(key)]));
  const before = readEntries(dir)[scopeId]?.ids ?? {};
  const changes = new Map<string, SecretChange>();
  for (const [id, fingerprint] of now) {
    const old = Object.hasOwn(before, id) ? before[id] : undefined;
    if (old !== fingerprint) changes.set(id, old === undefined ? "new" : "changed");
  }
  return {
    changes,
    record() {
      const entries = readEntries(dir);
      const ids = { ...(entries[scopeId]?.ids ?? {}), ...Object.fromEntries(now) };
      const kept = Object.entries(entries)
        .filter(([k]) => k !== scopeId)
        .sort(([, a], [, b]) => a.at - b.at)
        .slice(-(MAX_SCOPES - 1));
      // not written: the next build sees these secrets as new and runs their steps again
      writeCacheFile(dir, FINGERPRINTS_FILE, Object.fromEntries([...kept, [scopeId, { at: Date.now(), ids }]]));
    },
  };
}

function isEntry(value: unknown): value is Entry {
  if (value === null || typeof value !== "object") return false;
  const { at, ids } = value as Record<string, unknown>;
  return typeof at === "number" && ids !== null && typeof ids === "object" && !Array.isArray(ids) && Object.values(ids).every((v) => typeof v === "string");
}

function readEntries(dir: string): Entries {
  const parsed = readJson(join(dir, FINGERPRINTS_FILE));
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return {};
  return Object.fromEntries(Object.entries(parsed).filter((kv): kv is [string, Entry] => isEntry(kv[1])));
}
