import { z } from "zod";
import { VaultFailure } from "./vault-failure.js";
import { statusText, vaultFetch } from "./vault-http.js";
import type { VaultSettings } from "./vault-settings.js";

/** Where a path lives: its mount (`secret/`) and the KV version of that mount. */
export interface KvMount {
  readonly mount: string;
  readonly version: 1 | 2;
  /** True when the mounts endpoint was not readable and v1 was assumed. */
  readonly guessed: boolean;
}

/** One secret's fields as Vault returned them, and the path that was read (for messages). */
export interface KvSecret {
  readonly fields: Readonly<Record<string, unknown>>;
  readonly readPath: string;
}

const Fields = z.record(z.string(), z.unknown());
const MountsReply = z.object({
  data: z.object({
    path: z.string(),
    options: z.object({ version: z.string().optional() }).nullish(),
  }),
});
const V1Reply = z.object({ data: Fields });
const V2Reply = z.object({ data: z.object({ data: Fields.nullable(), metadata: z.unknown().optional() }) });

/**
 * The KV version of `path`'s mount, found as `vault kv` finds it: `sys/internal/ui/mounts/PATH`.
 * A 404 there means an old Vault (KV v1 only), as the CLI assumes; a 403 (a token that may read
 * the secret but not the mounts endpoint) falls back to v1 too, marked as a guess.
 */
export async function kvMountOf(settings: VaultSettings, token: string, path: string, signal?: AbortSignal): Promise<KvMount> {
  const call = { method: "GET", path: `sys/internal/ui/mounts/${path}`, token } as const;
  const reply = await vaultFetch(settings, call, signal);
  if (reply.status === 404 || reply.status === 403) return { mount: "", version: 1, guessed: true };
  if (reply.status !== 200) throw new VaultFailure(`finding the mount of ${path} (GET ${call.path}): ${statusText(reply.status)}`);
  const parsed = MountsReply.safeParse(reply.json);
  if (!parsed.success) throw new VaultFailure(`finding the mount of ${path}: unexpected reply from GET ${call.path}`);
  const mount = parsed.data.data.path.replace(/^\/+/, "");
  const version = parsed.data.data.options?.version === "2" ? 2 : 1;
  return { mount: mount === "" || mount.endsWith("/") ? mount : `${mount}/`, version, guessed: false };
}

/** Reads every field of `path` (at `version`, KV v2 only). */
export async function readKv(
  settings: VaultSettings,
  token: string,
  mount: KvMount,
  path: string,
  version: number | undefined,
  signal?: AbortSignal,
): Promise<KvSecret> {
  if (mount.version === 2) return readV2(settings, token, mount.mount, path, version, signal);
  if (version !== undefined) {
    throw new VaultFailure(
      mount.guessed
        ? `${path}: a @VERSION needs KV v2, and the KV version could not be found (the token may not read sys/internal/ui/mounts)`
        : `${path}: a @VERSION needs a KV v2 mount, and ${mount.mount || path} is KV v1`,
    );
  }
  const reply = await vaultFetch(settings, { method: "GET", path, token }, signal);
  if (reply.status !== 200) {
    const hint =
      reply.status === 403
        ? " (the token is invalid or may not read this path)"
        : mount.guessed
          ? " (KV version unknown, read as v1; for a v2 mount write MOUNT/data/PATH)"
          : "";
    throw new VaultFailure(`GET ${path}: ${statusText(reply.status)}${hint}`);
  }
  const parsed = V1Reply.safeParse(reply.json);
  if (!parsed.success) throw new VaultFailure(`GET ${path}: unexpected reply (no data object)`);
  // Read as v1 because the mount was unknown, but a `MOUNT/data/PATH` on v2 answers in v2's shape.
  const nested = mount.guessed ? V2Reply.safeParse(reply.json) : undefined;
  if (nested?.success === true && nested.data.data.data !== null && nested.data.data.metadata !== undefined) {
    return { fields: nested.data.data.data, readPath: path };
  }
  return { fields: parsed.data.data, readPath: path };
}

async function readV2(
  settings: VaultSettings,
  token: string,
  mount: string,
  path: string,
  version: number | undefined,
  signal?: AbortSignal,
): Promise<KvSecret> {
  if (!`${path}/`.startsWith(mount)) throw new VaultFailure(`${path}: Vault says it is on mount ${mount}, which does not prefix it`);
  const rest = path.slice(mount.length);
  if (rest === "") throw new VaultFailure(`${path}: this is a mount, not a secret (write MOUNT/PATH#FIELD)`);
  const readPath = `${mount}data/${rest}`;
  const at = version === undefined ? "" : `?version=${version}`;
  const reply = await vaultFetch(
    settings,
    { method: "GET", path: readPath, token, ...(version === undefined ? {} : { query: { version: String(version) } }) },
    signal,
  );
  if (reply.status !== 200) {
    const hint = reply.status === 404 ? " (no such secret, or that version is deleted or destroyed)" : "";
    throw new VaultFailure(`GET ${readPath}${at}: ${statusText(reply.status)}${hint}`);
  }
  const parsed = V2Reply.safeParse(reply.json);
  if (!parsed.success) throw new VaultFailure(`GET ${readPath}${at}: unexpected reply (no data.data object)`);
  if (parsed.data.data.data === null) throw new VaultFailure(`GET ${readPath}${at}: that version is deleted or destroyed`);
  return { fields: parsed.data.data.data, readPath: `${readPath}${at}` };
}
