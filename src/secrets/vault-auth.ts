import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { describeFsError } from "../errors.js";
import type { ProviderContext } from "./provider.js";
import { VaultFailure } from "./vault-failure.js";
import { statusText, vaultFetch } from "./vault-http.js";
import type { VaultSettings } from "./vault-settings.js";

const AppRoleLogin = z.object({ auth: z.object({ client_token: z.string().min(1) }) });

/**
 * The token, in the vault CLI's order: `VAULT_TOKEN`, then `~/.vault-token`, then an AppRole
 * login with `VAULT_ROLE_ID` and `VAULT_SECRET_ID`. Every credential is registered with the
 * masker the moment it is read, so it is masked like a secret in all output.
 */
export async function vaultTokenOf(settings: VaultSettings, ctx: ProviderContext): Promise<string> {
  const fromEnv = ctx.env["VAULT_TOKEN"]?.trim();
  if (fromEnv !== undefined && fromEnv !== "") return sensitive(ctx, fromEnv);

  const fromFile = await readTokenFile(ctx.home);
  if (fromFile !== undefined) return sensitive(ctx, fromFile);

  const roleId = ctx.env["VAULT_ROLE_ID"]?.trim();
  const secretId = ctx.env["VAULT_SECRET_ID"]?.trim();
  if (roleId && secretId) {
    sensitive(ctx, secretId);
    return sensitive(ctx, await appRoleLogin(settings, roleId, secretId, ctx.signal));
  }
  throw new VaultFailure("no token: set VAULT_TOKEN, write ~/.vault-token (vault login), or set VAULT_ROLE_ID and VAULT_SECRET_ID");
}

async function readTokenFile(home: string): Promise<string | undefined> {
  const path = join(home, ".vault-token");
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if (error && typeof error === "object" && "code" in error && error.code === "ENOENT") return undefined;
    throw new VaultFailure(`~/.vault-token: ${describeFsError(error)}`);
  }
  const token = text.trim();
  return token === "" ? undefined : token;
}

async function appRoleLogin(settings: VaultSettings, roleId: string, secretId: string, signal: AbortSignal | undefined): Promise<string> {
  const path = `auth/${settings.approleMount}/login`;
  const reply = await vaultFetch(settings, { method: "POST", path, body: { role_id: roleId, secret_id: secretId } }, signal);
  if (reply.status !== 200) throw new VaultFailure(`AppRole login (POST ${path}): ${statusText(reply.status)}`);
  const parsed = AppRoleLogin.safeParse(reply.json);
  if (!parsed.success) throw new VaultFailure(`AppRole login (POST ${path}): unexpected reply (no auth.client_token)`);
  return parsed.data.auth.client_token;
}

function sensitive(ctx: ProviderContext, value: string): string {
  ctx.masker.addSensitive(Buffer.from(value, "utf8"));
  return value;
}
