import { createHash } from "node:crypto";
import { environmentError, inputError, isSafebuildError } from "../../errors.js";
import { Backlog } from "../../bytes/backlog.js";
import { sourceLost } from "../../bytes/pump.js";
import type { RegistryClient } from "../../registry/client.js";
import { unreachable } from "../../registry/errors.js";
import { JSON_CAP, type BlobStore } from "./blob-store.js";
import { startLayerScan, type LayerScan, type LayerScanContext } from "../layer/layer-scan.js";

const INDEX_TYPES = new Set(["application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"]);
const BATCH = 1024 * 1024;
/**
 * Layers fetched and scanned at once: decompression and matching of one overlap the network
 * wait of the next (docs/performance.md). Each holds one batch and its decompressor's buffers.
 */
const LAYERS_AT_ONCE = 3;
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
  const waiting: (() => void)[] = [];
  let running = 0;
  const slot = async (): Promise<() => void> => {
    if (running >= LAYERS_AT_ONCE) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    return () => {
      running--;
      waiting.shift()?.();
    };
  };
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
        const release = await slot();
        try {
          return await scanBlob(digest);
        } finally {
          release();
        }
      })();
      scans.set(path, scan);
      return scan;
    },
    prefetch(paths) {
      // errors surface when the scan awaits that layer
      for (const path of paths) this.layer(path).catch(() => undefined);
    },
  };

  async function scanBlob(digest: string): Promise<LayerScan> {
    const body = await client.blob(digest);
    const backlog = new Backlog();
    const scanner = startLayerScan(ctx, backlog);
    const batch = Buffer.allocUnsafe(BATCH);
    try {
      // sockets hand over 16-64 KiB at a time; the layer reader is cheapest fed 1 MiB (bytes/pump.ts)
      let filled = 0;
      for await (const chunk of body as AsyncIterable<Buffer>) {
        if (ctx.signal?.aborted) throw ctx.signal.reason;
        onBytes(chunk.length);
        for (let at = 0; at < chunk.length; ) {
          const n = chunk.copy(batch, filled, at);
          filled += n;
          at += n;
          if (filled === BATCH) {
            scanner.sink.write(batch);
            filled = 0;
            await backlog.settle();
          }
        }
      }
      if (!body.complete) throw sourceLost(undefined);
      if (filled > 0) scanner.sink.write(batch.subarray(0, filled));
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
  }
}
