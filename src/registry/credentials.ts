import { join } from "node:path";
import { dockerConfigDir, readJson } from "../docker/context.js";
import { environmentError } from "../errors.js";
import { runCommand } from "../process/run.js";

/** What a registry is logged in with: a password (Basic, or a token request) or an identity (refresh) token. */
export interface Credential {
  readonly username: string;
  readonly password: string | undefined;
  readonly identityToken: string | undefined;
  /** where it came from, for a 401 message (`credential helper docker-credential-pass`, never the value) */
  readonly source: string;
}

export interface CredentialLookup {
  readonly credential: Credential | undefined;
  /** every source asked, in order, for a message when the registry refuses */
  readonly tried: readonly string[];
}

export interface CredentialOptions {
  readonly env: NodeJS.ProcessEnv;
  /** the environment a `docker-credential-*` helper runs with (secrets/child-env.ts `build`) */
  readonly helperEnv: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal | undefined;
  /** every value found is handed here first, so nothing printed later can show it */
  readonly sensitive: (value: Buffer) => void;
}

const HELPER_TIMEOUT_MS = 30_000;
const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** docker's marker for "the secret is an identity token" in a helper's answer. */
const TOKEN_USER = "<token>";

interface AuthFile {
  readonly auths?: Record<string, { auth?: unknown; identitytoken?: unknown; username?: unknown; password?: unknown }>;
  readonly credHelpers?: Record<string, unknown>;
  readonly credsStore?: unknown;
}

/** `https://host:5000/v1/` and `host:5000` name the same registry, as docker's file store compares them. */
export const hostOfKey = (key: string): string => key.replace(/^[a-z]+:\/\//i, "").split("/")[0]!.toLowerCase();

/**
 * The docker CLI's order: `credHelpers[host]`, else `credsStore`, else config.json `auths`;
 * then podman's auth.json (`$REGISTRY_AUTH_FILE`, else `$XDG_RUNTIME_DIR/containers/auth.json`).
 * `keys`: the names this registry goes by (Docker Hub has several, RegistryRef.authKeys).
 */
export async function findCredential(keys: readonly string[], options: CredentialOptions): Promise<CredentialLookup> {
  const tried: string[] = [];
  const configPath = join(dockerConfigDir(options.env), "config.json");
  const config = readJson(configPath) as AuthFile | undefined;
  const hosts = new Set(keys.map(hostOfKey));
  if (config !== undefined && typeof config === "object") {
    const helperOf = Object.entries(isRecord(config.credHelpers) ? config.credHelpers : {}).find(([k]) => hosts.has(hostOfKey(k)))?.[1];
    const helper = typeof helperOf === "string" ? helperOf : typeof config.credsStore === "string" && config.credsStore !== "" ? config.credsStore : undefined;
    if (helper !== undefined) {
      const source = `credential helper docker-credential-${helper} (${configPath})`;
      tried.push(source);
      const credential = await askHelper(helper, keys[0]!, source, options);
      if (credential !== undefined) return { credential, tried };
    }
    const found = fromAuths(config, hosts, `${configPath} auths`, options);
    if (found !== "absent") tried.push(`${configPath} auths`);
    if (found !== "absent" && found !== undefined) return { credential: found, tried };
  }
  const podman = podmanAuthFile(options.env);
  if (podman !== undefined) {
    const file = readJson(podman) as AuthFile | undefined;
    const found = file === undefined ? "absent" : fromAuths(file, hosts, podman, options);
    if (found !== "absent") tried.push(podman);
    if (found !== "absent" && found !== undefined) return { credential: found, tried };
  }
  return { credential: undefined, tried };
}

function podmanAuthFile(env: NodeJS.ProcessEnv): string | undefined {
  const explicit = env["REGISTRY_AUTH_FILE"];
  if (explicit) return explicit;
  const runtime = env["XDG_RUNTIME_DIR"];
  return runtime ? join(runtime, "containers", "auth.json") : undefined;
}

/** An `auths` entry: `auth` (base64 `user:password`) and/or `identitytoken`; "absent" when no entry names the registry. */
function fromAuths(file: AuthFile, hosts: ReadonlySet<string>, source: string, options: CredentialOptions): Credential | undefined | "absent" {
  const entry = Object.entries(isRecord(file.auths) ? file.auths : {}).find(([k]) => hosts.has(hostOfKey(k)))?.[1];
  if (!isRecord(entry)) return "absent";
  let username = typeof entry.username === "string" ? entry.username : "";
  let password = typeof entry.password === "string" && entry.password !== "" ? entry.password : undefined;
  if (typeof entry.auth === "string" && entry.auth !== "") {
    const decoded = Buffer.from(entry.auth, "base64");
    options.sensitive(Buffer.from(entry.auth, "utf8"));
    const colon = decoded.indexOf(0x3a);
    if (colon > 0) {
      username = decoded.subarray(0, colon).toString("utf8");
      password = decoded.subarray(colon + 1).toString("utf8");
    }
    decoded.fill(0);
  }
  const identityToken = typeof entry.identitytoken === "string" && entry.identitytoken !== "" ? entry.identitytoken : undefined;
  if (password === undefined && identityToken === undefined) return undefined;
  for (const value of [password, identityToken]) if (value) options.sensitive(Buffer.from(value, "utf8"));
  return { username, password, identityToken, source };
}

/**
 * `docker-credential-NAME get` with the server on stdin and `{ServerURL, Username, Secret}` on
 * stdout; "credentials not found" (any non-zero exit with that answer) means none.
 */
async function askHelper(name: string, server: string, source: string, options: CredentialOptions): Promise<Credential | undefined> {
  if (!HELPER_NAME.test(name)) throw environmentError(`${source}: not a credential helper name`);
  const result = await runCommand(
    { command: `docker-credential-${name}`, args: ["get"], env: options.helperEnv, inheritEnv: false },
    { stdin: Buffer.from(server, "utf8"), signal: options.signal, timeoutMs: HELPER_TIMEOUT_MS, output: { kind: "capture", maxBuffer: 1024 * 1024 } },
  );
  try {
    if (result.spawnError !== undefined) throw environmentError(`${source}: cannot run it (${result.spawnError.code ?? "spawn failed"})`);
    if (result.timedOut) throw environmentError(`${source}: no answer within ${HELPER_TIMEOUT_MS / 1000} s`);
    if (result.exitCode !== 0) {
      if (/credentials not found/i.test(result.stdout.toString("utf8"))) return undefined;
      throw environmentError(`${source}: exited with status ${result.exitCode ?? result.signal ?? "?"}`);
    }
    let answer: unknown;
    try {
      answer = JSON.parse(result.stdout.toString("utf8"));
    } catch {
      throw environmentError(`${source}: its answer is not JSON`);
    }
    if (!isRecord(answer) || typeof answer["Secret"] !== "string" || typeof answer["Username"] !== "string") {
      throw environmentError(`${source}: its answer has no Username and Secret`);
    }
    const secret = answer["Secret"];
    if (secret === "") return undefined;
    options.sensitive(Buffer.from(secret, "utf8"));
    const username = answer["Username"];
    return username === TOKEN_USER
      ? { username: "", password: undefined, identityToken: secret, source }
      : { username, password: secret, identityToken: undefined, source };
  } finally {
    result.stdout.fill(0);
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
