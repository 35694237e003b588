import { readFileSync } from "node:fs";
import path from "node:path";
import { environmentError } from "../errors.js";
import { contextEndpoint, dockerConfigDir } from "./context.js";

/** TLS for an engine, as node:tls options (PEM text; plain data, so it can travel to a worker thread). */
export interface EngineTls {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  /** false only where the docker CLI skips the check too (`DOCKER_TLS` without verify, a context's SkipTLSVerify) */
  readonly rejectUnauthorized: boolean;
}

/** Where the engine listens and how to speak to it: node:net/node:tls connect options. */
export interface EngineAddress {
  readonly socketPath?: string;
  readonly host?: string;
  readonly port?: number;
  /** present: every byte goes over TLS, never plain */
  readonly tls?: EngineTls;
}

export interface EngineEndpoint {
  readonly options: EngineAddress;
  readonly display: string;
}

const DEFAULT_SOCKET = "/var/run/docker.sock";
const DEFAULT_PORT = 2375;
/** Only an empty DOCKER_HOST with TLS means this port: `tcp://host` keeps 2375, as the CLI's ParseHost has it. */
const DEFAULT_TLS_HOST = "tcp://localhost:2376";

type Parsed = { kind: "unix"; path: string } | { kind: "tcp"; host: string; port: number } | { kind: "other" };

/**
 * A host string read the way the docker CLI reads it (docker/cli opts/hosts.go): no scheme means
 * unix for a path (`/…`, `./…`) and tcp otherwise; `tcp://` alone is localhost:2375. `http://`
 * is taken as tcp, as safebuild always has. Anything else (ssh://, npipe://, fd://) is "other":
 * the docker CLI reads it.
 */
export function parseDockerHost(raw: string, tls: boolean): Parsed {
  const trimmed = raw.trim();
  const value = trimmed === "" ? (tls ? DEFAULT_TLS_HOST : `unix://${DEFAULT_SOCKET}`) : trimmed;
  const at = value.indexOf("://");
  const scheme = at < 0 ? (value.startsWith("/") || value.startsWith("./") ? "unix" : "tcp") : value.slice(0, at);
  const rest = at < 0 ? value : value.slice(at + 3);
  if (scheme === "unix") return { kind: "unix", path: rest === "" ? DEFAULT_SOCKET : rest };
  if (scheme !== "tcp" && scheme !== "http") return { kind: "other" };
  if (rest === "") return { kind: "tcp", host: "localhost", port: DEFAULT_PORT };
  let url: URL;
  try {
    url = new URL(`http://${rest.startsWith(":") ? `localhost${rest}` : rest}`);
  } catch {
    throw environmentError(`the Docker host ${value} is not a valid address`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  return { kind: "tcp", host: host === "" ? "localhost" : host, port: url.port === "" ? DEFAULT_PORT : Number(url.port) };
}

/** A PEM file the endpoint names: its text, undefined when absent (if `optional`), else one line naming the file. */
function readPem(file: string, optional: boolean): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    if (optional && code === "ENOENT") return undefined;
    throw environmentError(`cannot read the Docker TLS file ${file} (${code})`, error);
  }
}

/**
 * TLS from the environment, as the CLI builds its default context (docker/cli cli/flags/options.go
 * and go-connections tlsconfig): any non-empty DOCKER_TLS_VERIFY (even "0") means TLS that checks
 * the engine against `DOCKER_CERT_PATH/ca.pem` (required); DOCKER_TLS alone means TLS without the
 * check. cert.pem and key.pem (default path: the CLI's config dir) are used when present, and one
 * without the other is an error.
 */
function envTls(env: NodeJS.ProcessEnv): EngineTls | undefined {
  const verify = (env["DOCKER_TLS_VERIFY"] ?? "") !== "";
  if (!verify && (env["DOCKER_TLS"] ?? "") === "") return undefined;
  const dir = env["DOCKER_CERT_PATH"] || dockerConfigDir(env);
  const ca = verify ? readPem(path.join(dir, "ca.pem"), false) : undefined;
  const cert = readPem(path.join(dir, "cert.pem"), true);
  const key = readPem(path.join(dir, "key.pem"), true);
  if ((cert === undefined) !== (key === undefined)) {
    throw environmentError(`cannot read the Docker TLS file ${path.join(dir, cert === undefined ? "cert.pem" : "key.pem")} (ENOENT; ${cert === undefined ? "key.pem" : "cert.pem"} is there)`);
  }
  return { ...(ca === undefined ? {} : { ca }), ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }), rejectUnauthorized: verify };
}

/**
 * TLS from a context (docker/cli cli/context/docker/load.go): TLS when the store holds any of its
 * files or SkipTLSVerify is set; each file is optional, a missing CA means the system's roots.
 */
function contextTls(tlsDir: string, skipVerify: boolean): EngineTls | undefined {
  const ca = readPem(path.join(tlsDir, "ca.pem"), true);
  const cert = readPem(path.join(tlsDir, "cert.pem"), true);
  const key = readPem(path.join(tlsDir, "key.pem"), true);
  if (ca === undefined && cert === undefined && key === undefined && !skipVerify) return undefined;
  const pair = cert !== undefined && key !== undefined ? { cert, key } : {};
  return { ...(ca === undefined ? {} : { ca }), ...pair, rejectUnauthorized: !skipVerify };
}

/**
 * Where the engine listens, as the docker CLI resolves it: DOCKER_HOST (with DOCKER_TLS_VERIFY,
 * DOCKER_TLS, DOCKER_CERT_PATH) wins over DOCKER_CONTEXT and the current context, whose own TLS
 * material then applies. Undefined for ssh://, npipe:// and fd://, which the docker CLI reads.
 * Throws an environment error naming a TLS file that is needed and unreadable.
 */
export function engineEndpoint(env: NodeJS.ProcessEnv): EngineEndpoint | undefined {
  const fromEnv = (env["DOCKER_HOST"] ?? "") !== "";
  const context = fromEnv ? undefined : contextEndpoint(env);
  const tls = context === undefined ? envTls(env) : contextTls(context.tlsDir, context.skipTLSVerify);
  const parsed = parseDockerHost(context?.host ?? env["DOCKER_HOST"] ?? "", tls !== undefined);
  const secure = tls === undefined ? {} : { tls };
  switch (parsed.kind) {
    case "unix":
      return { options: { socketPath: parsed.path, ...secure }, display: `unix://${parsed.path}` };
    case "tcp": {
      const shown = parsed.host.includes(":") ? `[${parsed.host}]` : parsed.host;
      return { options: { host: parsed.host, port: parsed.port, ...secure }, display: `tcp://${shown}:${parsed.port}` };
    }
    case "other":
      return undefined;
  }
}
