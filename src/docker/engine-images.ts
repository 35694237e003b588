import { request, type IncomingMessage } from "node:http";
import { request as tlsRequest } from "node:https";
import { environmentError, inputError } from "../errors.js";
import type { PumpOptions } from "../bytes/pump.js";
import type { EngineEndpoint } from "./endpoint.js";
import { engineExport, type EngineExport } from "./export-reader.js";
import { dropPrestartedReaderThread } from "./reader-thread.js";
import { readBodyCapped } from "../bytes/read-body.js";
import { storedImage, type StorageHints, type StoredImage } from "./storage/stored-image.js";

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
  /** where the engine keeps it (`GraphDriver`, `RootFS.Layers`) */
  readonly storage: StorageHints;
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
  let parsed: { Id?: unknown; Size?: unknown; RootFS?: { Layers?: unknown }; GraphDriver?: { Name?: unknown; Data?: { UpperDir?: unknown } } } = {};
  try {
    parsed = JSON.parse(body.toString("utf8")) as typeof parsed;
  } catch {
    // no id: refused below
  }
  const id = parsed?.Id;
  if (typeof id !== "string" || !/^sha256:[0-9a-f]{64}$/.test(id)) throw environmentError("the Docker engine sent an image inspect without an id");
  const size = typeof parsed.Size === "number" && parsed.Size >= 0 ? parsed.Size : undefined;
  const diffIds: unknown[] = Array.isArray(parsed.RootFS?.Layers) ? parsed.RootFS.Layers : [];
  const layers = Array.isArray(parsed.RootFS?.Layers) ? diffIds.length : undefined;
  const driver = parsed.GraphDriver?.Name;
  const upperDir = parsed.GraphDriver?.Data?.UpperDir;
  const storage: StorageHints = {
    driver: typeof driver === "string" ? driver : undefined,
    upperDir: typeof upperDir === "string" ? upperDir : undefined,
    diffIds: diffIds.filter((d): d is string => typeof d === "string"),
  };
  return { id, size, layers, storage };
}

/** `GET /images/{id}/get`: the same bytes as `docker save`. */
export const exportPath = (id: string): string => `/images/${refPath(id)}/get`;

/**
 * How an engine image is read: from the engine's own storage when this process can (root on
 * the engine's host: docs/performance.md), else from its export; `export` or `storage` forced
 * by SAFEBUILD_ENGINE_READ.
 */
export type EngineReadMode = "auto" | "export" | "storage";

export function engineReadMode(env: NodeJS.ProcessEnv): EngineReadMode {
  const raw = env.SAFEBUILD_ENGINE_READ?.trim() ?? "";
  if (raw === "") return "auto";
  if (raw === "auto" || raw === "export" || raw === "storage") return raw;
  throw inputError(`SAFEBUILD_ENGINE_READ must be auto, export or storage`);
}

/** An engine image opened for the scan: its folders in the engine's storage, or its export. */
export type EngineRead = { readonly id: string; readonly stored: StoredImage } | { readonly id: string; readonly exported: EngineExport };

/**
 * The image's id (an inspect), then either its files in the engine's storage (a local socket,
 * readable) or its export by that id.
 */
export async function openEngineImage(
  endpoint: EngineEndpoint,
  ref: string,
  options: PumpOptions & { readonly mode: EngineReadMode; readonly onImage?: ((info: ImageInfo) => void) | undefined },
): Promise<EngineRead> {
  const known = await inspectImage(endpoint, ref, options.signal);
  // the inspect answers at once, an export's first byte seconds later: tell what is coming
  options.onImage?.(known);
  // root only: a rootless engine's data root is its user's, but the layers' files keep their
  // owners' modes, so some of them would be unreadable halfway through a scan
  if (options.mode !== "export" && endpoint.options.socketPath !== undefined && process.geteuid?.() === 0) {
    const stored = storedImage(known.id, known.storage);
    if (stored !== undefined) {
      dropPrestartedReaderThread();
      return { id: known.id, stored };
    }
  }
  if (options.mode === "storage") throw environmentError(`image ${ref} is not in an engine storage this process can read (SAFEBUILD_ENGINE_READ=storage)`);
  const exported = await engineExport(endpoint.options, endpoint.display, Promise.resolve({ path: exportPath(known.id), subject: known.id }), options);
  return { id: known.id, exported };
}
