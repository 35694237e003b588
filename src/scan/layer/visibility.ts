import type { LayerHit, LayerScan } from "./layer-scan.js";

/** "a/b/c" → ["a/b", "a", ""]: every directory that holds the path, the root last. */
function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let at = path.lastIndexOf("/"); at !== -1; at = path.lastIndexOf("/", at - 1)) out.push(path.slice(0, at));
  out.push("");
  return out;
}

/**
 * Whether a later layer hides `path` of layer `index`: a whiteout of it or of a parent, an opaque
 * parent, a new entry at the same path (unless both are directories), or a parent turned into a
 * non-directory. The bytes still ship in the lower layer; `deleted` only says they are not visible.
 */
export function isDeleted(layers: readonly LayerScan[], index: number, path: string): boolean {
  const isDir = layers[index]?.paths.isDirectory(path) === true;
  const parents = ancestors(path);
  for (let j = index + 1; j < layers.length; j++) {
    const later = layers[j]?.paths;
    if (!later) continue;
    if (later.hasWhiteout(path)) return true;
    const same = later.isDirectory(path);
    if (same !== undefined && !(same && isDir)) return true;
    for (const parent of parents) {
      if (later.isOpaque(parent) || later.hasWhiteout(parent)) return true;
      if (parent !== "" && later.isDirectory(parent) === false) return true;
    }
  }
  return false;
}

/**
 * Whether a later entry of the same layer replaced the one a hit was in (a tar holding a path
 * twice extracts to the last): the hit records the last entry that had it, so an earlier one
 * means the final copy does not.
 */
export function isReplacedInLayer(layer: LayerScan, hit: LayerHit): boolean {
  return layer.paths.latest(hit.path) > hit.entry;
}
