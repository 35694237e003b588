import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { inputError } from "../errors.js";
import type { ImageDescriptor } from "./metadata-file.js";

/** Manifests and indexes are small; anything bigger is not what buildx wrote. */
const MAX_JSON = 4 * 1024 * 1024;
const INDEX_TYPES = new Set(["application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"]);

export interface OciResult {
  /** What `index.json` points at: the image (or index) a push publishes as it is. */
  readonly descriptor: ImageDescriptor;
  /** The image config's digest; undefined for an index (one config per platform). */
  readonly configDigest: string | undefined;
}

/** The one result buildx's `type=oci,tar=false` exporter wrote into `dir`. */
export async function readOciResult(dir: string): Promise<OciResult> {
  const index = await readJson(path.join(dir, "index.json"));
  const manifests = (index as { manifests?: unknown }).manifests;
  if (!Array.isArray(manifests) || manifests.length !== 1) throw inputError(`the builder's OCI layout holds ${Array.isArray(manifests) ? manifests.length : "no"} images, expected one`);
  const descriptor = descriptorOf(manifests[0]);
  if (INDEX_TYPES.has(descriptor.mediaType)) return { descriptor, configDigest: undefined };
  const manifest = await readJson(path.join(dir, "blobs", ...descriptor.digest.split(":")));
  const config = (manifest as { config?: { digest?: unknown } }).config?.digest;
  return { descriptor, configDigest: typeof config === "string" ? config : undefined };
}

function descriptorOf(value: unknown): ImageDescriptor {
  const d = value as Partial<Record<keyof ImageDescriptor, unknown>> | null;
  if (d === null || typeof d !== "object" || typeof d.mediaType !== "string" || typeof d.size !== "number" || typeof d.digest !== "string" || !/^sha256:[0-9a-f]{64}$/.test(d.digest)) {
    throw inputError("the builder's OCI layout has a malformed index.json entry");
  }
  return { mediaType: d.mediaType, digest: d.digest, size: d.size };
}

async function readJson(file: string): Promise<unknown> {
  const size = (await stat(file).catch(() => undefined))?.size;
  if (size === undefined || size > MAX_JSON) throw inputError(`the builder's OCI layout has ${size === undefined ? "no" : "an oversized"} ${path.basename(file)}`);
  try {
    return JSON.parse(await readFile(file, "utf8")) as unknown;
  } catch (error) {
    throw inputError(`the builder's OCI layout has an unreadable ${path.basename(file)}`, error);
  }
}
