import { posix } from "node:path";
import { pipeline } from "node:stream/promises";
import tarStream from "tar-stream";
import { inputError } from "../errors.js";
import { JSON_CAP, type BlobStore } from "./blob-store.js";
import { decompressors, sniffCompression } from "./decompress.js";
import { normalizeEntryPath, scanLayer, type LayerScan, type LayerScanContext } from "./layer-scan.js";
import { drain, peek, replay, type Peeked } from "./peek.js";

/** Names whose meaning the layouts fix; everything else is sniffed by content. */
const METADATA_NAMES = new Set(["manifest.json", "index.json", "oci-layout", "repositories"]);
const TAR_MAGIC_AT = 257;
const SNIFF_BYTES = 512;

type Blob = { kind: "json"; bytes: Buffer } | { kind: "oversized" } | { kind: "layer"; scan: LayerScan };

function looksLikeJson(head: Buffer): boolean {
  for (const byte of head) {
    if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) continue;
    return byte === 0x7b || byte === 0x5b;
  }
  return false;
}

function looksLikeTar(head: Buffer): boolean {
  return head.length >= TAR_MAGIC_AT + 5 && head.toString("latin1", TAR_MAGIC_AT, TAR_MAGIC_AT + 5) === "ustar";
}

async function readCapped(peeked: Peeked): Promise<Blob> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of replay(peeked)) {
    size += chunk.length;
    if (size > JSON_CAP) {
      await drain(peeked);
      return { kind: "oversized" };
    }
    parts.push(chunk);
  }
  return { kind: "json", bytes: Buffer.concat(parts) };
}

/**
 * Reads an image archive (docker save, Docker 25+ OCI-inside, OCI layout tar, outer gzip/zstd)
 * in ONE pass: layers are scanned as they stream by, keyed by their path, and attributed later,
 * because `docker save` writes manifest.json last. Nothing but metadata is kept in memory.
 */
export async function readArchive(source: AsyncIterable<Buffer>, ctx: LayerScanContext, label: string): Promise<BlobStore> {
  const blobs = new Map<string, Blob>();
  const links = new Map<string, string>();
  const outer = await peek(source, 4);
  const compression = sniffCompression(outer.head);
  const extract = tarStream.extract();
  let feedError: unknown = null;
  const feeding = (
    compression === "none"
      ? pipeline(replay(outer), extract)
      : pipeline(replay(outer), decompressors[compression](), extract)
  ).catch((cause: unknown) => {
    feedError = cause;
  });

  try {
    for await (const entry of extract) {
      if (ctx.signal?.aborted) throw ctx.signal.reason;
      const { header } = entry;
      const path = normalizeEntryPath(header.name);
      if (header.type === "symlink" && header.linkname) {
        links.set(path, posix.normalize(posix.join(posix.dirname(path), header.linkname)));
      } else if (header.type === "link" && header.linkname) {
        links.set(path, normalizeEntryPath(header.linkname));
      }
      const peeked = await peek(entry as AsyncIterable<Buffer>, SNIFF_BYTES);
      if (header.type !== "file" && header.type !== "contiguous-file") {
        await drain(peeked);
        continue;
      }
      const head = peeked.head;
      const isLayer = sniffCompression(head) !== "none" || looksLikeTar(head);
      if (!isLayer && (METADATA_NAMES.has(path) || looksLikeJson(head))) {
        blobs.set(path, await readCapped(peeked));
      } else {
        blobs.set(path, { kind: "layer", scan: await scanLayer(peeked, ctx) });
      }
    }
  } catch (cause) {
    if (ctx.signal?.aborted) throw cause;
    await feeding;
    throw inputError(`${label}: not a readable image archive (corrupt or truncated tar)`, cause);
  }
  await feeding;
  if (feedError !== null) {
    if (ctx.signal?.aborted) throw feedError;
    throw inputError(`${label}: not a readable image archive (corrupt or truncated)`, feedError);
  }
  return archiveStore(blobs, links, label);
}

function archiveStore(blobs: ReadonlyMap<string, Blob>, links: ReadonlyMap<string, string>, label: string): BlobStore {
  const find = (path: string): Blob | undefined => {
    let at = normalizeEntryPath(path);
    for (let hops = 0; hops < 16; hops++) {
      const blob = blobs.get(at);
      if (blob) return blob;
      const next = links.get(at);
      if (next === undefined) return undefined;
      at = next;
    }
    return undefined;
  };
  return {
    async json(path) {
      const blob = find(path);
      if (!blob) return undefined;
      if (blob.kind === "json") return blob.bytes;
      throw inputError(`${label}: ${path} is not a JSON document of at most ${JSON_CAP} bytes`);
    },
    async layer(path) {
      const blob = find(path);
      if (!blob) throw inputError(`${label}: layer ${path} is missing from the archive`);
      if (blob.kind !== "layer") throw inputError(`${label}: layer ${path} is not a tar archive`);
      if (blob.scan.error !== null) throw inputError(`${label}: layer ${path} is unreadable (${blob.scan.error})`);
      return blob.scan;
    },
  };
}
