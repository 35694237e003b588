import { posix } from "node:path";
import { inputError, isSafebuildError } from "../../errors.js";
import { Backlog, type ByteSink } from "../../bytes/backlog.js";
import { JSON_CAP, type BlobStore } from "./blob-store.js";
import type { Pump } from "../../bytes/pump.js";
import { decompressingSink } from "../layer/decompressing-sink.js";
import { sniffCompression } from "../layer/compression.js";
import { sniffingSink } from "../../bytes/sniff-sink.js";
import type { ScanProgress } from "../scan-progress.js";
import { startLayerScan, type LayerScan, type LayerScanContext, type LayerScanner } from "../layer/layer-scan.js";
import { normalizeEntryPath } from "../layer/entry-path.js";
import { TarFormatError, TarWalker, type EntrySink, type TarHeader } from "../layer/tar-walker.js";

/** Names whose meaning the layouts fix; everything else is sniffed by content. */
const METADATA_NAMES = new Set(["manifest.json", "index.json", "oci-layout", "repositories"]);
const TAR_MAGIC_AT = 257;
const SNIFF_BYTES = 512;
const MAGIC_BYTES = 4;

type Blob = { kind: "json"; bytes: Buffer } | { kind: "oversized" } | { kind: "layer"; scan: LayerScan; small?: Buffer | undefined };

/**
 * A compressed blob is scanned as a layer as it streams by, but an attestation layer may be
 * compressed JSON too (the plan says which only once manifest.json, written last, is read): a
 * small one is kept as well, so it can still be read as a statement.
 */
const KEEP_SMALL_BLOB = 256 * 1024;
/** What the kept copies may take in all (an image of many tiny layers). */
const KEEP_SMALL_TOTAL = 8 * 1024 * 1024;

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

/** Gathers a metadata file (copied: chunks are borrowed), or notes that it is over the cap. */
function jsonCollector(onDone: (blob: Blob) => void): ByteSink {
  const parts: Buffer[] = [];
  let size = 0;
  return {
    write(chunk) {
      size += chunk.length;
      if (size <= JSON_CAP) parts.push(Buffer.from(chunk));
    },
    end() {
      onDone(size > JSON_CAP ? { kind: "oversized" } : { kind: "json", bytes: Buffer.concat(parts) });
    },
  };
}

/**
 * Reads an image archive (docker save, Docker 25+ OCI-inside, OCI layout tar, outer gzip/zstd)
 * in ONE pass: layers are scanned as they stream by, keyed by their path, and attributed later,
 * because `docker save` writes manifest.json last. Nothing but metadata is kept in memory.
 * The whole walk is synchronous per chunk `pump` delivers; only decompression is asynchronous.
 */
export async function readArchive(pump: Pump, ctx: LayerScanContext, label: string, progress?: ScanProgress): Promise<BlobStore> {
  const blobs = new Map<string, Blob>();
  const links = new Map<string, string>();
  const layers: Array<{ path: string; scanner: LayerScanner; kept: Buffer[] | null }> = [];
  let keptBytes = 0;
  const backlog = new Backlog();
  let tarError: unknown = null;
  let streamError: unknown = null;

  const onEntry = (header: TarHeader): EntrySink | null => {
    const path = normalizeEntryPath(header.name);
    if (header.type === "symlink" && header.linkname) {
      links.set(path, posix.normalize(posix.join(posix.dirname(path), header.linkname)));
    } else if (header.type === "link" && header.linkname) {
      links.set(path, normalizeEntryPath(header.linkname));
    }
    if (header.type !== "file") return null;
    const sink = sniffingSink(SNIFF_BYTES, (head) => {
      const isLayer = sniffCompression(head) !== "none" || looksLikeTar(head);
      if (!isLayer && (METADATA_NAMES.has(path) || looksLikeJson(head))) return jsonCollector((blob) => blobs.set(path, blob));
      const scanner = startLayerScan(ctx, backlog);
      const kept: Buffer[] | null = header.size <= KEEP_SMALL_BLOB && keptBytes + header.size <= KEEP_SMALL_TOTAL ? [] : null;
      if (kept !== null) keptBytes += header.size;
      layers.push({ path, scanner, kept });
      progress?.layer();
      if (kept === null) return scanner.sink;
      return {
        write(chunk) {
          kept.push(Buffer.from(chunk));
          scanner.sink.write(chunk);
        },
        end: () => scanner.sink.end(),
      };
    });
    return { data: (chunk) => sink.write(chunk), end: () => sink.end() };
  };
  const walker = new TarWalker(onEntry);
  const walk: ByteSink = {
    write(chunk) {
      if (tarError === null) walker.write(chunk);
    },
    end() {
      if (tarError === null) walker.end();
    },
    get complete() {
      return tarError === null && walker.ended;
    },
  };
  const outer = sniffingSink(MAGIC_BYTES, (head) => {
    const compression = sniffCompression(head);
    return compression === "none" ? walk : decompressingSink(compression, () => walk, backlog, new Backlog(), (e) => (tarError ??= e));
  });

  try {
    await pump(outer, backlog);
  } catch (cause) {
    if (ctx.signal?.aborted) throw cause;
    if (cause instanceof TarFormatError) tarError ??= cause;
    else streamError = cause;
  }
  if (ctx.signal?.aborted) throw ctx.signal.reason;
  if (tarError !== null) throw inputError(`${label}: not a readable image archive (corrupt or truncated tar)`, tarError);
  // the source's own failures (a file, a socket, a docker CLI) are the caller's to describe
  if (isSafebuildError(streamError)) throw streamError;
  if (streamError !== null && typeof streamError === "object" && "syscall" in streamError) throw streamError;
  if (streamError !== null) throw inputError(`${label}: not a readable image archive (corrupt or truncated)`, streamError);
  for (const { path, scanner, kept } of layers) blobs.set(path, { kind: "layer", scan: await scanner.finish(), small: kept === null ? undefined : Buffer.concat(kept) });
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
      if (blob.kind === "layer" && blob.small !== undefined) return blob.small;
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
