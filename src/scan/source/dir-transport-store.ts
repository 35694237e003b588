import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { BlobStore } from "./blob-store.js";

const VERSION = "Directory Transport Version:";
const BLOB = /^blobs\/sha256\/([0-9a-f]{64})$/;
const INDEX_TYPES = ["application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"];

/** Whether `root` is containers/image's `dir:` layout (`skopeo copy … dir:D`, `podman save --format docker-dir`). */
export async function isDirTransport(root: string): Promise<boolean> {
  try {
    return (await readFile(join(root, "version"), "latin1")).startsWith(VERSION);
  } catch {
    return false;
  }
}

function isIndex(bytes: Buffer): boolean {
  try {
    const doc = JSON.parse(bytes.toString("utf8")) as { mediaType?: unknown; manifests?: unknown };
    return (typeof doc.mediaType === "string" && INDEX_TYPES.includes(doc.mediaType)) || (doc.mediaType === undefined && Array.isArray(doc.manifests));
  } catch {
    return false;
  }
}

/**
 * The `dir:` layout seen as an OCI layout: its `manifest.json` is the image's manifest (or, copied
 * with `--all`, the index, whose manifests are `HEX.manifest.json`), and blobs are files named by
 * their bare sha256. A single manifest is given an index of one, named by its own digest.
 */
export function dirTransportStore(files: BlobStore): BlobStore {
  let top: Promise<{ bytes: Buffer; hex: string; index: boolean } | undefined> | undefined;
  const topManifest = (): NonNullable<typeof top> =>
    (top ??= files.json("manifest.json").then((bytes) => bytes && { bytes, hex: createHash("sha256").update(bytes).digest("hex"), index: isIndex(bytes) }));
  const fileOf = (path: string): string => BLOB.exec(path)?.[1] ?? path;
  return {
    async json(path) {
      // docker save's manifest.json is a list of images; this one is not
      if (path === "manifest.json") return undefined;
      const manifest = await topManifest();
      if (path === "index.json") {
        if (manifest === undefined || manifest.index) return manifest?.bytes;
        const { mediaType } = JSON.parse(manifest.bytes.toString("utf8")) as { mediaType?: string };
        const descriptor = { mediaType: mediaType ?? "application/vnd.oci.image.manifest.v1+json", digest: `sha256:${manifest.hex}`, size: manifest.bytes.length };
        return Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [descriptor] }));
      }
      const hex = BLOB.exec(path)?.[1];
      if (hex === undefined) return files.json(path);
      if (manifest !== undefined && !manifest.index && hex === manifest.hex) return manifest.bytes;
      return (await files.json(`${hex}.manifest.json`)) ?? files.json(hex);
    },
    layer: (path) => files.layer(fileOf(path)),
    layerSize: async (path) => files.layerSize?.(fileOf(path)),
  };
}
