import { request, type IncomingMessage } from "node:http";
import { request as tlsRequest } from "node:https";
import { environmentError, inputError } from "../errors.js";
import type { PumpOptions } from "../bytes/pump.js";
import type { EngineEndpoint } from "./endpoint.js";
import { engineExport, type EngineExport } from "./export-reader.js";
import { readBodyCapped } from "../bytes/read-body.js";

/** An inspect reply is a small JSON document; a huge one is not the engine speaking. */
const REPLY_CAP = 16 * 1024 * 1024;

export { engineEndpoint, type EngineEndpoint } from "./endpoint.js";

function get(endpoint: EngineEndpoint, path: string, signal: AbortSignal | undefined): Promise<IncomingMessage> {
  return new Promise((resolvePromise, reject) => {
    const { tls, ...address } = endpoint.options;
    // Over TLS to a tcp host, node's own Host header (host:port) also names the host the engine's
    // certificate must be for; "docker" would be checked instead.
    const headers = tls !== undefined && address.host !== undefined ? {} : { Host: "docker" };
    const asked = { ...address, path, method: "GET", headers, signal };
    // a TLS endpoint is only ever spoken to over TLS; its own agent, so no plain socket is reused
    const req = tls === undefined ? request(asked, resolvePromise) : tlsRequest({ ...asked, ...tls, agent: false }, resolvePromise);
    req.on("error", (error: NodeJS.ErrnoException) => {
      if (signal?.aborted) reject(error);
      else reject(environmentError(`cannot reach the Docker engine at ${endpoint.display} (${error.code ?? "connection failed"})`, error));
    });
    req.end();
  });
}

async function readCapped(response: IncomingMessage): Promise<Buffer> {
  const whole = await readBodyCapped(response, REPLY_CAP);
  if (whole === undefined) throw environmentError("the Docker engine sent an oversized reply");
  return whole;
}

/** Engine paths take the reference as is (`local/busybox:1`); only characters unsafe in a URL path are escaped. */
const refPath = (ref: string): string => encodeURI(ref).replace(/[?#]/g, encodeURIComponent);

/** What an image inspect tells besides the id: its size and layer count, for a progress indicator. */
export interface ImageInfo {
  readonly id: string;
  /** `Size`: the layers' uncompressed bytes, about what an export sends */
  readonly size: number | undefined;
  /** `RootFS.Layers` */
  readonly layers: number | undefined;
}

/** `GET /images/{name}/json`: the image id, or an input error when the engine has no such image. */
export async function inspectImageId(endpoint: EngineEndpoint, ref: string, signal?: AbortSignal): Promise<string> {
  return (await inspectImage(endpoint, ref, signal)).id;
}

export async function inspectImage(endpoint: EngineEndpoint, ref: string, signal?: AbortSignal): Promise<ImageInfo> {
  const response = await get(endpoint, `/images/${refPath(ref)}/json`, signal);
  const body = await readCapped(response);
  if (response.statusCode === 404) throw inputError(`no such image: ${ref}`);
  if (response.statusCode !== undefined && response.statusCode >= 300 && response.statusCode < 500) {
    throw inputError(`${ref}: not a valid image reference (engine status ${response.statusCode})`);
  }
  if (response.statusCode !== 200) throw environmentError(`the Docker engine answered ${response.statusCode} to an image inspect`);
  let parsed: { Id?: unknown; Size?: unknown; RootFS?: { Layers?: unknown } } = {};
  try {
    parsed = JSON.parse(body.toString("utf8")) as typeof parsed;
  } catch {
    // no id: refused below
  }
  const id = parsed?.Id;
  if (typeof id !== "string" || !/^sha256:[0-9a-f]{64}$/.test(id)) throw environmentError("the Docker engine sent an image inspect without an id");
  const size = typeof parsed.Size === "number" && parsed.Size >= 0 ? parsed.Size : undefined;
  const layers = Array.isArray(parsed.RootFS?.Layers) ? parsed.RootFS.Layers.length : undefined;
  return { id, size, layers };
}

/** `GET /images/{id}/get`: the same bytes as `docker save`. */
export const exportPath = (id: string): string => `/images/${refPath(id)}/get`;

/**
 * The image's id (an inspect) and its export by that id; the reader thread starts while the
 * inspect runs.
 */
export async function exportImage(
  endpoint: EngineEndpoint,
  ref: string,
  options: PumpOptions & { readonly onImage?: ((info: ImageInfo) => void) | undefined },
): Promise<{ id: string; exported: EngineExport }> {
  // the inspect answers at once, the export's first byte seconds later: tell what is coming
  const info = inspectImage(endpoint, ref, options.signal).then((known) => {
    options.onImage?.(known);
    return known;
  });
  const target = info.then((known) => ({ path: exportPath(known.id), subject: known.id }));
  const [known, exported] = await Promise.all([info, engineExport(endpoint.options, endpoint.display, target, options)]);
  return { id: known.id, exported };
}
