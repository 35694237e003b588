import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { describeFsError, inputError } from "../errors.js";
import type { BlobStore } from "./blob-store.js";
import { readArchive } from "./archive-store.js";
import { directoryStore } from "./directory-store.js";
import { engineEndpoint, exportImage, inspectImageId } from "./engine-source.js";
import type { LayerScanContext } from "./layer-scan.js";

export type SourceKind = "engine" | "path" | "archive" | "layout";

/** `docker:` forces the engine; the others force a file or directory. Without a prefix: a path if one exists. */
const prefixes: ReadonlyArray<readonly [string, SourceKind]> = [
  ["docker-archive:", "archive"],
  ["oci-archive:", "archive"],
  ["docker:", "engine"],
  ["oci:", "layout"],
];

export interface SourceTarget {
  readonly kind: SourceKind;
  readonly target: string;
}

export function classifyRef(ref: string): SourceTarget {
  for (const [prefix, kind] of prefixes) if (ref.startsWith(prefix)) return { kind, target: ref.slice(prefix.length) };
  return { kind: "path", target: ref };
}

export interface OpenedSource {
  readonly store: BlobStore;
  /** the engine's image id; archives have none of their own */
  readonly id: string | null;
}

export interface SourceOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly onBytes: (count: number) => void;
}

/** Engine references never start like a path or end like a tarball; such a ref that does not exist is a missing file. */
const looksLikePath = (ref: string): boolean => /^(\.{0,2}\/|~)/.test(ref) || /\.(tar|tgz|tar\.gz|tar\.zst)$/i.test(ref);

const HIGH_WATER_MARK = 1024 * 1024;

async function* counted(source: AsyncIterable<Buffer>, onBytes: (count: number) => void): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    onBytes(chunk.length);
    yield chunk;
  }
}

async function openEngine(target: string, ctx: LayerScanContext, options: SourceOptions): Promise<OpenedSource> {
  const endpoint = engineEndpoint(options.env);
  const id = await inspectImageId(endpoint, target, ctx.signal);
  const response = await exportImage(endpoint, id, ctx.signal);
  try {
    return { store: await readArchive(counted(response, options.onBytes), ctx, `image ${target}`), id };
  } finally {
    response.destroy();
  }
}

async function openPath(target: string, ctx: LayerScanContext, options: SourceOptions, expect: SourceKind): Promise<OpenedSource> {
  const full = resolve(options.cwd, target);
  let info;
  try {
    info = await stat(full);
  } catch (error) {
    if (expect === "path" && !looksLikePath(target)) return openEngine(target, ctx, options);
    throw inputError(`${target}: ${describeFsError(error)}`, error);
  }
  if (info.isDirectory()) {
    if (expect === "archive") throw inputError(`${target}: is a directory, expected an image tarball`);
    return { store: directoryStore(full, ctx, target), id: null };
  }
  const stream = createReadStream(full, { highWaterMark: HIGH_WATER_MARK, signal: ctx.signal });
  try {
    return { store: await readArchive(counted(stream, options.onBytes), ctx, target), id: null };
  } catch (error) {
    if (error && typeof error === "object" && "code" in error && typeof error.code === "string" && !ctx.signal?.aborted) {
      throw inputError(`${target}: ${describeFsError(error)}`, error);
    }
    throw error;
  } finally {
    stream.destroy();
  }
}

/** Opens the image a reference names; archives are read (and their layers scanned) here, in one pass. */
export function openSource(ref: string, ctx: LayerScanContext, options: SourceOptions): Promise<OpenedSource> {
  const { kind, target } = classifyRef(ref);
  if (target === "") throw inputError(`${ref}: empty image reference`);
  return kind === "engine" ? openEngine(target, ctx, options) : openPath(target, ctx, options, kind);
}
