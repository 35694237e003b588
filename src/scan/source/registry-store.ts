import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { environmentError, inputError, isSafebuildError } from "../../errors.js";
import { Backlog, type ByteSink } from "../../bytes/backlog.js";
import { sourceLost } from "../../bytes/pump.js";
import type { RegistryClient } from "../../registry/client.js";
import type { RawBody } from "../../registry/raw-get.js";
import { unreachable } from "../../registry/errors.js";
import { JSON_CAP, type BlobStore } from "./blob-store.js";
import { startLayerScan, type LayerScan, type LayerScanContext } from "../layer/layer-scan.js";
import { registryReferrers, type ManifestCache } from "./registry-referrers.js";

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
 * The sha256 of `bytes`; throws when `expected` is a sha256 digest and they differ. Other
 * algorithms pass unchecked: only sha256 is computed here.
 */
function verified(label: string, expected: string | undefined, bytes: Buffer): string {
  const read = sha256(bytes);
  if (expected !== undefined && expected.startsWith("sha256:") && read !== expected) {
    throw environmentError(`${label}: the registry served ${read} for ${expected}`);
  }
  return read;
}

function digestOf(label: string, path: string): string {
  const match = BLOB_PATH.exec(path);
  if (!match) throw inputError(`${label}: ${path} is not a blob this registry source can fetch`);
  return `${match[1]}:${match[2]}`;
}

/** At most `limit` holders at once; the others wait in order. Resolves to the release function. */
function slots(limit: number): () => Promise<() => void> {
  const waiting: (() => void)[] = [];
  let running = 0;
  return async () => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    return () => {
      running--;
      waiting.shift()?.();
    };
  };
}

/**
 * The manifests of one image by digest. Reading an index starts fetching the manifests it
 * lists, so the layout's later `json()` calls find them already under way.
 */
class Manifests implements ManifestCache {
  readonly #byDigest = new Map<string, Promise<Buffer>>();
  #topIndex: string | undefined;

  constructor(private readonly client: RegistryClient) {}

  get(digest: string): Promise<Buffer> | undefined {
    return this.#byDigest.get(digest);
  }

  topIndex(): string | undefined {
    return this.#topIndex;
  }

  adopt(digest: string, bytes: Buffer): void {
    if (!this.#byDigest.has(digest)) this.#byDigest.set(digest, Promise.resolve(bytes));
  }

  /** A referrer's manifest: fetched once, checked, its children (if an index) not fetched ahead. */
  byDigest(digest: string): Promise<Buffer> {
    let known = this.#byDigest.get(digest);
    if (known === undefined) {
      known = this.client.manifest(digest).then(({ bytes }) => (verified(this.client.label, digest, bytes), bytes));
      this.#byDigest.set(digest, known);
    }
    return known;
  }

  /** The tag's (or digest's) manifest as an index; a single image manifest gets a one-entry index. */
  async top(): Promise<Buffer> {
    const { client } = this;
    const { bytes, mediaType } = await client.manifest(client.ref.reference);
    const digest = verified(client.label, client.ref.digest, bytes);
    const isIndex = (mediaType !== undefined && INDEX_TYPES.has(mediaType)) || /"manifests"\s*:/.test(bytes.toString("utf8"));
    if (isIndex) {
      this.#topIndex = digest;
      this.#listChildren(bytes, digest);
      return bytes;
    }
    this.#byDigest.set(digest, Promise.resolve(bytes));
    const type = mediaType ?? "application/vnd.oci.image.manifest.v1+json";
    return Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: type, digest, size: bytes.length }] }));
  }

  #listChildren(bytes: Buffer, self: string): void {
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
      if (digest === self) throw inputError(`${this.client.label}: image index ${self} points at itself`);
      if (!this.#byDigest.has(digest)) this.#byDigest.set(digest, this.#fetch(digest));
    }
  }

  #fetch(digest: string): Promise<Buffer> {
    const fetched = (async () => {
      const { bytes } = await this.client.manifest(digest);
      verified(this.client.label, digest, bytes);
      this.#listChildren(bytes, digest);
      return bytes;
    })();
    fetched.catch(() => undefined); // awaited when the layout asks for it
    return fetched;
  }
}

/**
 * Copies the body into the scanner in full batches: sockets hand over 16-64 KiB at a time;
 * the layer reader is cheapest fed 1 MiB (bytes/pump.ts). Returns after the scanner's input ends.
 */
async function feedInBatches(body: IncomingMessage, batch: Buffer, sink: ByteSink, backlog: Backlog, ctx: LayerScanContext, onBytes: (count: number) => void): Promise<void> {
  let filled = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (ctx.signal?.aborted) throw ctx.signal.reason;
    onBytes(chunk.length);
    for (let at = 0; at < chunk.length; ) {
      const n = chunk.copy(batch, filled, at);
      filled += n;
      at += n;
      if (filled === BATCH) {
        sink.write(batch);
        filled = 0;
        await backlog.settle();
      }
    }
  }
  if (!body.complete) throw sourceLost(undefined);
  if (filled > 0) sink.write(batch.subarray(0, filled));
  sink.end();
  await backlog.settle();
}

/** The raw body's chunks into the scanner, each handed back once written (every sink copies what it keeps). */
async function feedRaw(body: RawBody, sink: ByteSink, backlog: Backlog, ctx: LayerScanContext, onBytes: (count: number) => void): Promise<void> {
  for (;;) {
    if (ctx.signal?.aborted) throw ctx.signal.reason;
    const chunk = await body.next();
    if (chunk === null) break;
    onBytes(chunk.length);
    sink.write(chunk);
    await backlog.settle();
    body.walked(chunk);
  }
  sink.end();
  await backlog.settle();
}

/**
 * Streams one layer blob through the layer scanner; the blob itself is never stored. A blob
 * the registry serves itself is read into reused buffers; one it redirects (blob storage) or
 * refuses goes through the client's own path.
 */
async function scanBlob(client: RegistryClient, ctx: LayerScanContext, onBytes: (count: number) => void, digest: string): Promise<LayerScan> {
  const raw = await client.rawBlob(digest);
  const body = raw === null ? await client.blob(digest) : null;
  const backlog = new Backlog();
  const scanner = startLayerScan(ctx, backlog);
  try {
    if (raw !== null) await feedRaw(raw, scanner.sink, backlog, ctx, onBytes);
    else await feedInBatches(body!, Buffer.allocUnsafe(BATCH), scanner.sink, backlog, ctx, onBytes);
  } catch (error) {
    raw?.close();
    body?.destroy();
    if (ctx.signal?.aborted || isSafebuildError(error)) throw error;
    throw unreachable(client.ref.registry, error, client.timeoutMs);
  }
  const result = await scanner.finish();
  if (result.error !== null) throw inputError(`${client.label}: layer ${digest} is unreadable (${result.error})`);
  return result;
}

/**
 * An image in a registry as a layout (`index.json`, `blobs/sha256/…`), read over the
 * distribution API: the tag's (or digest's) manifest is the index (a single image manifest
 * gets a one-entry index), digests an index lists are fetched as manifests, all others as
 * blobs. Everything fetched by digest is checked against it; layers stream through the layer
 * scanner and are never stored.
 */
export function registryStore(client: RegistryClient, ctx: LayerScanContext, onBytes: (count: number) => void): BlobStore {
  const label = client.label;
  const manifests = new Manifests(client);
  const scans = new Map<string, Promise<LayerScan>>();
  const slot = slots(LAYERS_AT_ONCE);

  return {
    async json(path) {
      if (path === "manifest.json") return undefined;
      if (path === "index.json") return manifests.top();
      const digest = digestOf(label, path);
      const manifest = manifests.get(digest);
      if (manifest !== undefined) return manifest;
      const bytes = await client.smallBlob(digest, JSON_CAP);
      if (bytes === undefined) throw inputError(`${label}: blob ${digest} is larger than ${JSON_CAP} bytes`);
      verified(label, digest, bytes);
      return bytes;
    },
    layer(path) {
      const known = scans.get(path);
      if (known) return known;
      const scan = (async () => {
        const digest = digestOf(label, path);
        const release = await slot();
        try {
          return await scanBlob(client, ctx, onBytes, digest);
        } finally {
          release();
        }
      })();
      scans.set(path, scan);
      return scan;
    },
    referrers: registryReferrers(client, manifests),
    prefetch(paths) {
      // errors surface when the scan awaits that layer
      for (const path of paths) this.layer(path).catch(() => undefined);
    },
  };
}
