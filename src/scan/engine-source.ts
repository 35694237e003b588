import { request, type IncomingMessage, type RequestOptions } from "node:http";
import { environmentError, inputError } from "../errors.js";
import { JSON_CAP } from "./blob-store.js";
import type { PumpOptions } from "./byte-pump.js";
import { contextDockerHost } from "./docker-context.js";
import { engineExport, type EngineExport } from "./engine-reader.js";

/** Where the engine listens, as node:http options. */
export interface EngineEndpoint {
  readonly options: Pick<RequestOptions, "socketPath" | "host" | "port">;
  readonly display: string;
}

const DEFAULT_SOCKET = "/var/run/docker.sock";

/**
 * Where the engine listens, when safebuild can read it itself (unix:// and plain tcp://);
 * undefined for the rest (ssh://, TLS, npipe), which go through the docker CLI instead.
 */
export function engineEndpoint(env: NodeJS.ProcessEnv): EngineEndpoint | undefined {
  const host = env["DOCKER_HOST"] || contextDockerHost(env);
  if (!host) return { options: { socketPath: DEFAULT_SOCKET }, display: `unix://${DEFAULT_SOCKET}` };
  if (host.startsWith("unix://")) {
    const socketPath = host.slice("unix://".length);
    return { options: { socketPath }, display: host };
  }
  if ((host.startsWith("tcp://") || host.startsWith("http://")) && !env["DOCKER_TLS_VERIFY"]) {
    const url = new URL(host.replace(/^tcp:/, "http:"));
    return { options: { host: url.hostname, port: Number(url.port || 2375) }, display: `tcp://${url.host}` };
  }
  return undefined;
}

function get(endpoint: EngineEndpoint, path: string, signal: AbortSignal | undefined): Promise<IncomingMessage> {
  return new Promise((resolvePromise, reject) => {
    const req = request({ ...endpoint.options, path, method: "GET", headers: { Host: "docker" }, signal }, resolvePromise);
    req.on("error", (error: NodeJS.ErrnoException) => {
      if (signal?.aborted) reject(error);
      else reject(environmentError(`cannot reach the Docker engine at ${endpoint.display} (${error.code ?? "connection failed"})`, error));
    });
    req.end();
  });
}

async function readCapped(response: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > JSON_CAP) {
      response.destroy();
      throw environmentError("the Docker engine sent an oversized reply");
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

/** Engine paths take the reference as is (`local/busybox:1`); only characters unsafe in a URL path are escaped. */
const refPath = (ref: string): string => encodeURI(ref).replace(/[?#]/g, encodeURIComponent);

/** `GET /images/{name}/json`: the image id, or an input error when the engine has no such image. */
export async function inspectImageId(endpoint: EngineEndpoint, ref: string, signal?: AbortSignal): Promise<string> {
  const response = await get(endpoint, `/images/${refPath(ref)}/json`, signal);
  const body = await readCapped(response);
  if (response.statusCode === 404) throw inputError(`no such image: ${ref}`);
  if (response.statusCode !== undefined && response.statusCode >= 300 && response.statusCode < 500) {
    throw inputError(`${ref}: not a valid image reference (engine status ${response.statusCode})`);
  }
  if (response.statusCode !== 200) throw environmentError(`the Docker engine answered ${response.statusCode} to an image inspect`);
  let id: unknown;
  try {
    id = (JSON.parse(body.toString("utf8")) as { Id?: unknown }).Id;
  } catch {
    id = undefined;
  }
  if (typeof id !== "string" || !/^sha256:[0-9a-f]{64}$/.test(id)) throw environmentError("the Docker engine sent an image inspect without an id");
  return id;
}

/** `GET /images/{id}/get`: the same bytes as `docker save`. */
export const exportPath = (id: string): string => `/images/${refPath(id)}/get`;

/**
 * The image's id (an inspect) and its export by that id; the reader thread starts while the
 * inspect runs.
 */
export async function exportImage(endpoint: EngineEndpoint, ref: string, options: PumpOptions): Promise<{ id: string; exported: EngineExport }> {
  const id = inspectImageId(endpoint, ref, options.signal);
  const target = id.then((known) => ({ path: exportPath(known), subject: known }));
  const [known, exported] = await Promise.all([id, engineExport(endpoint.options, endpoint.display, target, options)]);
  return { id: known, exported };
}
