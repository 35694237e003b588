import { setTimeout as sleep } from "node:timers/promises";
import { STATUS_CODES } from "node:http";
// undici's own fetch (the code behind Node's global fetch) so a custom TLS Agent and the fetch
// that uses it come from one version; Node's bundled copy does not export its Agent.
import { fetch, type RequestInit, type Response } from "undici";
import { VaultFailure } from "./vault-failure.js";
import type { VaultSettings } from "./vault-settings.js";

/** One call to Vault's HTTP API, as data. `path` is relative to `/v1/`. */
export interface VaultCall {
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly token?: string;
  /** A JSON body (AppRole credentials): sent, never logged. */
  readonly body?: unknown;
}

export interface VaultReply {
  readonly status: number;
  /** The parsed JSON body, or undefined when it was empty or not JSON. */
  readonly json: unknown;
}

/** Replies are small JSON documents; anything larger is not a KV read. */
const MAX_BODY = 4 * 1024 * 1024;

/**
 * Sends a call with a per-attempt timeout and bounded retries on network errors, timeouts,
 * 5xx (but 501) and 412 (Vault's "not yet replicated"). Other statuses come back to the
 * caller, which words the error with the secret's id, path and field.
 */
export async function vaultFetch(settings: VaultSettings, call: VaultCall, signal?: AbortSignal): Promise<VaultReply> {
  const url = urlOf(settings, call);
  let lastProblem = "";
  for (let attempt = 0; attempt <= settings.maxRetries; attempt += 1) {
    if (attempt > 0) await sleep(settings.backoffMs * 2 ** (attempt - 1), undefined, signal === undefined ? {} : { signal });
    const timeout = AbortSignal.timeout(settings.timeoutMs);
    const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
    try {
      const response = await fetch(url, requestInit(settings, call, combined));
      const text = await readCapped(response);
      if (retryable(response.status) && attempt < settings.maxRetries) {
        lastProblem = statusText(response.status);
        continue;
      }
      return { status: response.status, json: parseJson(text) };
    } catch (error) {
      if (signal?.aborted === true) throw signal.reason instanceof Error ? signal.reason : new VaultFailure("interrupted");
      if (error instanceof VaultFailure) throw error;
      lastProblem = timeout.aborted ? `no reply within ${settings.timeoutMs / 1000} s` : networkProblemOf(error);
    }
  }
  throw new VaultFailure(`${call.method} ${call.path}: ${lastProblem} (after ${settings.maxRetries + 1} attempt${settings.maxRetries === 0 ? "" : "s"})`);
}

export const statusText = (status: number): string => `HTTP ${status}${STATUS_CODES[status] ? ` ${STATUS_CODES[status]}` : ""}`;

const retryable = (status: number): boolean => (status >= 500 && status !== 501) || status === 412;

function urlOf(settings: VaultSettings, call: VaultCall): string {
  const path = call.path.split("/").map(encodeURIComponent).join("/");
  const query = call.query === undefined ? "" : `?${new URLSearchParams(call.query).toString()}`;
  return `${settings.addr}/v1/${path}${query}`;
}

function requestInit(settings: VaultSettings, call: VaultCall, signal: AbortSignal): RequestInit {
  const headers: Record<string, string> = { accept: "application/json" };
  if (call.token !== undefined) headers["x-vault-token"] = call.token;
  if (settings.namespace !== undefined) headers["x-vault-namespace"] = settings.namespace;
  if (call.body !== undefined) headers["content-type"] = "application/json";
  return {
    method: call.method,
    headers,
    signal,
    redirect: "error",
    ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
    ...(settings.dispatcher === undefined ? {} : { dispatcher: settings.dispatcher }),
  };
}

async function readCapped(response: Response): Promise<string> {
  if (response.body === null) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > MAX_BODY) throw new VaultFailure(`reply larger than ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parseJson(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The network-level reason only (its code), never a message that could echo a URL with credentials. */
function networkProblemOf(error: unknown): string {
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
  if (cause && typeof cause === "object" && "code" in cause && typeof cause.code === "string") {
    return `cannot connect (${cause.code})`;
  }
  return "cannot connect";
}
