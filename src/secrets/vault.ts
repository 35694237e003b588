import { inputError, interruptedError } from "../errors.js";
import type { Provider, ProviderContext } from "./provider.js";
import { vaultTokenOf } from "./vault-auth.js";
import { VaultFailure } from "./vault-failure.js";
import { kvMountOf, readKv, type KvMount, type KvSecret } from "./vault-kv.js";
import { vaultSettingsOf, type VaultSettings } from "./vault-settings.js";
import { parseVaultTarget } from "./vault-target.js";

/**
 * `vault:PATH#FIELD[@VERSION]`: a field of a HashiCorp Vault KV secret, v1 or v2 found as the
 * `vault kv` CLI finds it. A string field is its UTF-8 bytes; any other JSON value (number,
 * object, list, null) is its JSON text. Several secrets from one path cost one read.
 */
export const vaultProvider: Provider = async (ref, ctx) => {
  const where = `vault:${ref.target}`;
  try {
    const target = parseVaultTarget(ref.id, ref.target);
    const settings = await memo(ctx, "vault:settings", async () => {
      const read = await vaultSettingsOf(ctx.env);
      // Once a run, however many vault: secrets it resolves.
      for (const warning of read.warnings) ctx.warn?.(warning);
      return read;
    });
    const token = await memo(ctx, "vault:token", () => vaultTokenOf(settings, ctx));
    const mount = await memo<KvMount>(ctx, `vault:mount:${target.path}`, () => kvMountOf(settings, token, target.path, ctx.signal));
    const secret = await memo<KvSecret>(ctx, `vault:kv:${target.path}@${target.version ?? ""}`, () =>
      readKv(settings, token, mount, target.path, target.version, ctx.signal),
    );
    return fieldBytes(secret, target.field);
  } catch (error) {
    if (ctx.signal?.aborted === true) throw interruptedError(signalNameOf(ctx.signal.reason));
    if (error instanceof VaultFailure) throw inputError(`secret ${ref.id}: ${where}: ${error.message}`);
    throw error;
  }
};

function fieldBytes(secret: KvSecret, field: string): Buffer {
  if (!Object.hasOwn(secret.fields, field)) {
    const names = Object.keys(secret.fields);
    const known = names.length === 0 ? "it has no fields" : `its fields: ${names.slice(0, 12).join(", ")}${names.length > 12 ? ", …" : ""}`;
    throw new VaultFailure(`no field "${field}" in ${secret.readPath} (${known})`);
  }
  const value = secret.fields[field];
  return typeof value === "string" ? Buffer.from(value, "utf8") : Buffer.from(JSON.stringify(value) ?? "null", "utf8");
}

/** One promise per key for the whole run, so concurrent refs share one login and one read. */
function memo<T>(ctx: ProviderContext, key: string, make: () => Promise<T>): Promise<T> {
  let pending = ctx.memo.get(key) as Promise<T> | undefined;
  if (pending === undefined) {
    pending = make();
    // Each caller handles the rejection itself; this only keeps an unawaited one quiet.
    pending.catch(() => undefined);
    ctx.memo.set(key, pending);
  }
  return pending;
}

function signalNameOf(reason: unknown): NodeJS.Signals {
  return typeof reason === "string" && reason.startsWith("SIG") ? (reason as NodeJS.Signals) : "SIGINT";
}

export type { VaultSettings };
