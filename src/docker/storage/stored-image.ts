import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { posix } from "node:path";
import type { StoredLayerFiles } from "./tar-split-pump.js";

/** What an image inspect says of where the engine keeps the image (`GraphDriver`, `RootFS`). */
export interface StorageHints {
  readonly driver: string | undefined;
  /** `GraphDriver.Data.UpperDir`: the top layer's folder, `ROOT/overlay2/ID/diff` */
  readonly upperDir: string | undefined;
  /** `RootFS.Layers`, bottom first */
  readonly diffIds: readonly string[];
}

export interface StoredLayer extends StoredLayerFiles {
  readonly diffId: string;
}

/** An image the engine keeps in folders safebuild can read: its config file and its layers, bottom first. */
export interface StoredImage {
  readonly config: string;
  readonly layers: readonly StoredLayer[];
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
/** overlay2's folder names (random hex, or `ID-init`): nothing that could climb out */
const CACHE_ID = /^[A-Za-z0-9_-]{1,128}$/;
const UPPER_DIR = /^(\/.*)\/overlay2\/[A-Za-z0-9_-]+\/diff$/;

/** Moby's layer.CreateChainID: a layer's id in the layer store, from the diff ids below and at it. */
export function chainIds(diffIds: readonly string[]): string[] {
  const chains: string[] = [];
  for (const diffId of diffIds) {
    const below = chains.at(-1);
    chains.push(below === undefined ? diffId : `sha256:${createHash("sha256").update(`${below} ${diffId}`).digest("hex")}`);
  }
  return chains;
}

const hexOf = (digest: string): string => digest.slice("sha256:".length);
const isFile = (path: string): boolean => statSync(path, { throwIfNoEntry: false })?.isFile() === true;
const isDir = (path: string): boolean => statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;

function storedLayer(root: string, chain: string, diffId: string): StoredLayer | undefined {
  const record = posix.join(root, "image/overlay2/layerdb/sha256", hexOf(chain));
  if (readFileSync(posix.join(record, "diff"), "latin1").trim() !== diffId) return undefined;
  const cacheId = readFileSync(posix.join(record, "cache-id"), "latin1").trim();
  if (!CACHE_ID.test(cacheId)) return undefined;
  const tarSplit = posix.join(record, "tar-split.json.gz");
  const files = posix.join(root, "overlay2", cacheId, "diff");
  return isFile(tarSplit) && isDir(files) ? { diffId, tarSplit, files } : undefined;
}

/**
 * The image's files in a local engine's overlay2 storage, when this process may read them (root,
 * or a readable data root) and they are all there: the config under `imagedb`, and per layer
 * docker's tar-split record and its folder (moby's `layerdb/sha256/CHAIN/{diff,cache-id}`).
 * Undefined otherwise: the engine's export is read instead. Whatever is read from here is still
 * proved by digest (the config is the image id, each layer's tar its diff id).
 */
export function storedImage(id: string, hints: StorageHints): StoredImage | undefined {
  if (hints.driver !== "overlay2" || hints.upperDir === undefined || !DIGEST.test(id)) return undefined;
  const root = UPPER_DIR.exec(posix.normalize(hints.upperDir))?.[1];
  if (root === undefined || hints.diffIds.length === 0 || !hints.diffIds.every((d) => DIGEST.test(d))) return undefined;
  try {
    const config = posix.join(root, "image/overlay2/imagedb/content/sha256", hexOf(id));
    if (!isFile(config)) return undefined;
    const chains = chainIds(hints.diffIds);
    const layers: StoredLayer[] = [];
    for (const [i, diffId] of hints.diffIds.entries()) {
      const layer = storedLayer(root, chains[i]!, diffId);
      if (layer === undefined) return undefined;
      layers.push(layer);
    }
    return { config, layers };
  } catch {
    // EACCES (not root, no rights on the data root), ENOENT (removed meanwhile): the export instead
    return undefined;
  }
}
