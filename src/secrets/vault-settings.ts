import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { Agent, type Dispatcher } from "undici";
import { describeFsError } from "../errors.js";
import { VaultFailure } from "./vault-failure.js";

/** How to reach Vault, read from the same variables the `vault` CLI honours. */
export interface VaultSettings {
  /** `VAULT_ADDR` without a trailing slash. */
  readonly addr: string;
  readonly namespace: string | undefined;
  /** Per request, body included (`VAULT_CLIENT_TIMEOUT` seconds; default 10). */
  readonly timeoutMs: number;
  /** Retries after the first attempt on 5xx, 412, 429 and network errors (`VAULT_MAX_RETRIES`; default 3). */
  readonly maxRetries: number;
  /** Base of the exponential backoff between retries. */
  readonly backoffMs: number;
  /** Mount of the AppRole auth method (`VAULT_APPROLE_MOUNT`; default `approle`). */
  readonly approleMount: string;
  /** Set when `VAULT_CACERT`, `VAULT_CAPATH` or `VAULT_SKIP_VERIFY` change TLS verification. */
  readonly dispatcher: Dispatcher | undefined;
  /** One line per setting that exposes the token or the values on the network. */
  readonly warnings: readonly string[];
}

const DEFAULT_TIMEOUT_S = 10;
const DEFAULT_RETRIES = 3;

export async function vaultSettingsOf(env: NodeJS.ProcessEnv): Promise<VaultSettings> {
  const addr = env["VAULT_ADDR"]?.trim();
  if (addr === undefined || addr === "") throw new VaultFailure("VAULT_ADDR is not set (e.g. https://vault.example.com:8200)");
  let url: URL;
  try {
    url = new URL(addr);
  } catch {
    throw new VaultFailure("VAULT_ADDR is not a URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new VaultFailure("VAULT_ADDR must start with http:// or https://");
  return {
    addr: addr.replace(/\/+$/, ""),
    namespace: nonEmpty(env["VAULT_NAMESPACE"]),
    timeoutMs: Math.round(positiveNumber(env, "VAULT_CLIENT_TIMEOUT", DEFAULT_TIMEOUT_S) * 1000),
    maxRetries: Math.floor(positiveNumber(env, "VAULT_MAX_RETRIES", DEFAULT_RETRIES, true)),
    backoffMs: 200,
    approleMount: (nonEmpty(env["VAULT_APPROLE_MOUNT"]) ?? "approle").replace(/^\/+|\/+$/g, ""),
    dispatcher: await tlsDispatcherOf(env),
    warnings: [
      ...(url.protocol === "http:" && !isLoopback(url.hostname)
        ? [`VAULT_ADDR is http://${url.host}: the Vault token and the secret values cross the network unencrypted (use https://)`]
        : []),
      ...(parseBool(env["VAULT_SKIP_VERIFY"])
        ? ["VAULT_SKIP_VERIFY is set: Vault's TLS certificate is not checked, so whoever sits on the network path can pose as Vault and read the token"]
        : []),
    ],
  };
}

/** This machine: `localhost`, 127.0.0.0/8, ::1 (and ::ffff:127.x.y.z), as the URL parser normalizes them. */
export function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || /^127\.\d+\.\d+\.\d+$/.test(hostname) || hostname === "[::1]" || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(hostname);
}

async function tlsDispatcherOf(env: NodeJS.ProcessEnv): Promise<Dispatcher | undefined> {
  const skipVerify = parseBool(env["VAULT_SKIP_VERIFY"]);
  const cacert = nonEmpty(env["VAULT_CACERT"]);
  const capath = nonEmpty(env["VAULT_CAPATH"]);
  if (!skipVerify && cacert === undefined && capath === undefined) return undefined;
  const ca: Buffer[] = [];
  if (cacert !== undefined) ca.push(await readCa("VAULT_CACERT", cacert));
  if (capath !== undefined) {
    let names: string[];
    try {
      names = (await readdir(capath)).sort();
    } catch (error) {
      throw new VaultFailure(`VAULT_CAPATH ${capath}: ${describeFsError(error)}`);
    }
    for (const name of names) ca.push(await readCa("VAULT_CAPATH", join(capath, name)));
  }
  return new Agent({
    connect: { rejectUnauthorized: !skipVerify, ...(ca.length > 0 ? { ca } : {}) },
  });
}

async function readCa(variable: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new VaultFailure(`${variable} ${path}: ${describeFsError(error)}`);
  }
}

const nonEmpty = (value: string | undefined): string | undefined => {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === "" ? undefined : trimmed;
};

/** Go's strconv.ParseBool, which the vault CLI uses for VAULT_SKIP_VERIFY. */
function parseBool(value: string | undefined): boolean {
  return ["1", "t", "T", "TRUE", "true", "True"].includes(value?.trim() ?? "");
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, zeroOk = false): number {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  // The vault CLI also takes Go durations like "10s"; accept a plain "s" suffix.
  const n = Number(raw.replace(/s$/, ""));
  if (!Number.isFinite(n) || n < 0 || (!zeroOk && n === 0)) throw new VaultFailure(`${name} must be a positive number`);
  return n;
}
