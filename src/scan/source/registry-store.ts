import { createHash } from "node:crypto";
import { environmentError, inputError, isSafebuildError } from "../../errors.js";
import { Backlog } from "../../bytes/backlog.js";
import { sourceLost } from "../../bytes/pump.js";
import type { RegistryClient } from "../../registry/client.js";
import { unreachable } from "../../registry/errors.js";
import { JSON_CAP, type BlobStore } from "./blob-store.js";
import { startLayerScan, type LayerScan, type LayerScanContext } from "../layer/layer-scan.js";

const INDEX_TYPES = new Set(["application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"]);
const BLOB_PATH = /^blobs\/([a-z0-9]+)\/([a-f0-9]{64})$/;

const sha256 = (bytes: Buffer): string => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

/**
 * An image in a registry as a layout (`index.json`, `blobs/sha256/…`), read over the
 * distribution API: the tag's (or digest's) manifest is the index (a single image manifest
 * gets a one-entry index), digests an index lists are fetched as manifests, all others as
 * blobs. Everything fetched by digest is checked against it; layers stream through the layer
 * scanner and are never stored.
 */
export function registryStore(client: RegistryClient, ctx: LayerScanContext, onBytes: (count: number) => void): BlobStore {
  const label = client.label;
  const manifests = new Map<string, Promise<Buffer>>();
  const scans = new Map<string, Promise<LayerScan>>();
  const mismatch = (digest: string, read: string): Error => environmentError(`${label}: the registry served ${read} for ${digest}`);

  const listChildren = (bytes: Buffer, self: string): void => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString("utf8"));
    } catch {
      return; // the layout stage names the bad document
    }
    const children = (parsed as { manifests?: unknown }).manifests;
    if (!Array.isArray(children)) return;
    for (const child of children) {
      const digest = (child as { digest?: unknown } | null)?.digest;
      if (typeof digest !== "string") continue;
      if (digest === self) throw inputError(`${label}: image index ${self} points at itself`);
      if (!manifests.has(digest)) manifests.set(digest, fetchManifest(digest));
    }
  };

  const fetchManifest = (digest: string): Promise<Buffer> => {
    const fetched = (async () => {
      const { bytes } = await client.manifest(digest);
      const read = sha256(bytes);
      if (digest.startsWith("sha256:") && read !== digest) throw mismatch(digest, read);
      listChildren(bytes, digest);
      return bytes;
    })();
    fetched.catch(() => undefined); // awaited when the layout asks for it
    return fetched;
  };

  const top = async (): Promise<Buffer> => {
    const { bytes, mediaType } = await client.manifest(client.ref.reference);
    const digest = sha256(bytes);
    if (client.ref.digest !== undefined && client.ref.digest.startsWith("sha256:") && digest !== client.ref.digest) throw mismatch(client.ref.digest, digest);
    const isIndex = (mediaType !== undefined && INDEX_TYPES.has(mediaType)) || /"manifests"\s*:/.test(bytes.toString("utf8"));
    if (isIndex) {
      listChildren(bytes, digest);
      return bytes;
    }
    manifests.set(digest, Promise.resolve(bytes));
    const type = mediaType ?? "application/vnd.oci.image.manifest.v1+json";
    return Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: type, digest, size: bytes.length }] }));
  };

  const digestOf = (path: string): string => {
    const match = BLOB_PATH.exec(path);
    if (!match) throw inputError(`${label}: ${path} is not a blob this registry source can fetch`);
    return `${match[1]}:${match[2]}`;
  };

  return {
    async json(path) {
      if (path === "manifest.json") return undefined;
      if (path === "index.json") return top();
      const digest = digestOf(path);
      const manifest = manifests.get(digest);
      if (manifest !== undefined) return manifest;
      const bytes = await client.smallBlob(digest, JSON_CAP);
      if (bytes === undefined) throw inputError(`${label}: blob ${digest} is larger than ${JSON_CAP} bytes`);
      const read = sha256(bytes);
      if (digest.startsWith("sha256:") && read !== digest) throw mismatch(digest, read);
      return bytes;
    },
    layer(path) {
      const known = scans.get(path);
      if (known) return known;
      const scan = (async () => {
        const digest = digestOf(path);
        const body = await client.blob(digest);
        const backlog = new Backlog();
        const scanner = startLayerScan(ctx, backlog);
        try {
          for await (const chunk of body as AsyncIterable<Buffer>) {
            if (ctx.signal?.aborted) throw ctx.signal.reason;
            onBytes(chunk.length);
            scanner.sink.write(chunk);
            await backlog.settle();
          }
          if (!body.complete) throw sourceLost(undefined);
          scanner.sink.end();
          await backlog.settle();
        } catch (error) {
          body.destroy();
          if (ctx.signal?.aborted || isSafebuildError(error)) throw error;
          throw unreachable(client.ref.registry, error, client.timeoutMs);
        }
        const result = await scanner.finish();
        if (result.error !== null) throw inputError(`${label}: layer ${digest} is unreadable (${result.error})`);
        return result;
      })();
      scans.set(path, scan);
      return scan;
    },
  };
}
