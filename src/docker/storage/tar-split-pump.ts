import { closeSync, constants, createReadStream, fstatSync, lstatSync, openSync, readSync, realpathSync } from "node:fs";
import { pipeline } from "node:stream";
import { setImmediate as turn } from "node:timers/promises";
import { createGunzip } from "node:zlib";
import type { Pump, PumpOptions } from "../../bytes/pump.js";
import { StorageMismatch } from "./storage-mismatch.js";
import { tarSplitEntries, type TarSplitEntry } from "./tar-split-entries.js";

/** One buffer, reused: every ByteSink copies what it keeps (bytes/backlog.ts). */
const CHUNK = 1024 * 1024;
/** Yield to the event loop (signals, timers) this often: the reads here are synchronous. */
const YIELD_EVERY = 64 * 1024 * 1024;

/** A layer in the engine's storage: docker's own record of its tar, and the folder of its files. */
export interface StoredLayerFiles {
  /** `layerdb/sha256/CHAIN/tar-split.json.gz` */
  readonly tarSplit: string;
  /** `overlay2/CACHE-ID/diff` */
  readonly files: string;
}

/**
 * The layer's tar, byte for byte as `docker save` writes it (moby layer/layer_store.go
 * `assembleTarTo`: tar-split's headers and padding, the files' bytes from the layer's folder),
 * without asking dockerd to write the whole export to its temp dir first. Files are opened
 * only inside the folder, never through a link, and only when regular.
 */
export function tarSplitPump(layer: StoredLayerFiles, options: PumpOptions): Pump {
  return async (sink, backlog) => {
    const files = new LayerFolder(layer.files);
    const buffer = Buffer.allocUnsafe(CHUNK);
    let used = 0;
    let sinceTurn = 0;
    const flush = async (): Promise<void> => {
      if (used === 0) return;
      options.onBytes?.(used);
      sink.write(buffer.subarray(0, used));
      sinceTurn += used;
      used = 0;
      if (backlog.pending) await backlog.settle();
      if (sinceTurn >= YIELD_EVERY) {
        sinceTurn = 0;
        await turn();
      }
      if (options.signal?.aborted) throw options.signal.reason;
    };
    const put = async (entry: TarSplitEntry): Promise<void> => {
      if (entry.kind === "segment") {
        for (let at = 0; at < entry.bytes.length; ) {
          const n = entry.bytes.copy(buffer, used, at);
          used += n;
          at += n;
          if (used === CHUNK) await flush();
        }
        return;
      }
      const fd = files.open(entry.name);
      try {
        for (let at = 0; at < entry.size; ) {
          const n = readSync(fd, buffer, used, Math.min(CHUNK - used, entry.size - at), at);
          if (n === 0) throw new StorageMismatch(`a file is shorter than the layer's record says`);
          used += n;
          at += n;
          if (used === CHUNK) await flush();
        }
      } finally {
        closeSync(fd);
      }
    };
    const gunzip = createGunzip();
    // pipeline, not pipe: a record gone or unreadable destroys the gunzip with its error, which
    // the loop below then throws (pipe would leave the loop waiting for an end that never comes)
    pipeline(createReadStream(layer.tarSplit), gunzip, () => undefined);
    try {
      for await (const entry of tarSplitEntries(gunzip)) await put(entry);
    } finally {
      gunzip.destroy();
    }
    await flush();
    sink.end();
    if (backlog.pending) await backlog.settle();
  };
}

const NOFOLLOW_READ = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;
const SLASH = 0x2f;

/**
 * A layer's folder, opened file by file from names its record gives. A name that climbs out
 * (`..` above the folder), a folder on the way that is a link out of it (a loaded archive's
 * `lib -> /etc`, then `lib/shadow`), a link or anything but a regular file at the end: all
 * refused, and nothing outside the folder is read or opened (a device node in a file's place
 * is never opened: some act on open). Folders are resolved once each, as bytes (a name need
 * not be UTF-8: node's JavaScript realpath would resolve another path).
 */
class LayerFolder {
  readonly #root: Buffer;
  readonly #real: string;
  readonly #inside = new Map<string, boolean>();

  constructor(root: string) {
    this.#root = Buffer.from(root.endsWith("/") ? root : `${root}/`);
    this.#real = realpathSync.native(Buffer.from(root), { encoding: "buffer" }).toString("latin1");
  }

  open(name: Buffer): number {
    const relative = safeRelative(name);
    if (relative === undefined) throw new StorageMismatch("the layer's record names a file outside its folder");
    const full = Buffer.concat([this.#root, relative]);
    const slash = full.lastIndexOf(SLASH);
    if (!this.#folderInside(full.subarray(0, slash))) throw new StorageMismatch("a file of the layer lies behind a link out of its folder");
    if (!lstatSync(full).isFile()) throw new StorageMismatch("the layer's record names a file that is not a regular file in its folder");
    // O_NONBLOCK and fstat again: whatever took the file's place since is not waited on nor read
    const fd = openSync(full, NOFOLLOW_READ);
    if (!fstatSync(fd).isFile()) {
      closeSync(fd);
      throw new StorageMismatch("the layer's record names a file that is not a regular file in its folder");
    }
    return fd;
  }

  #folderInside(folder: Buffer): boolean {
    const key = folder.toString("latin1");
    let inside = this.#inside.get(key);
    if (inside === undefined) {
      const real = realpathSync.native(folder, { encoding: "buffer" }).toString("latin1");
      inside = real === this.#real || real.startsWith(`${this.#real}/`);
      this.#inside.set(key, inside);
    }
    return inside;
  }
}

/**
 * `./a/b`, `/a/b`, `a/b` and `a/x/../b` alike, as bytes (`..` taken back lexically: the file
 * is then checked to lie inside the folder, and its bytes against the layer's digest);
 * undefined when `..` climbs above the folder, a part holds a NUL, or nothing is left.
 */
export function safeRelative(name: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= name.length; i++) {
    if (i < name.length && name[i] !== SLASH) continue;
    const part = name.subarray(start, i);
    start = i + 1;
    if (part.length === 0 || (part.length === 1 && part[0] === 0x2e)) continue;
    if (part.length === 2 && part[0] === 0x2e && part[1] === 0x2e) {
      if (parts.pop() === undefined) return undefined;
      continue;
    }
    if (part.includes(0)) return undefined;
    parts.push(part);
  }
  if (parts.length === 0) return undefined;
  return Buffer.concat(parts.flatMap((part, i) => (i === 0 ? [part] : [Buffer.from("/"), part])));
}
