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
 * The paths where the bytes of `hit`'s entry stay visible in the final filesystem through hard
 * links: a link written after the entry (a link names the file last written at its target),
 * links to those links, each the last entry at its path and hidden by no later layer. Docker
 * writes a file hard-linked in a later step, with its links, into that step's layer (copy-up):
 * removing the file afterwards leaves the links.
 */
export function visibleLinks(layers: readonly LayerScan[], index: number, hit: LayerHit): string[] {
  const layer = layers[index];
  if (layer === undefined || layer.hardLinks.length === 0) return [];
  const out: string[] = [];
  const reached = new Set<string>();
  let targets = new Map<string, number>([[hit.path, hit.entry]]);
  while (targets.size > 0) {
    const next = new Map<string, number>();
    for (const link of layer.hardLinks) {
      const from = targets.get(link.target);
      if (from === undefined || link.entry <= from || reached.has(link.path)) continue;
      // the target written again between the file and the link: the link is that other file
      const rewritten = layer.paths.latest(link.target);
      if (rewritten > from && rewritten < link.entry) continue;
      reached.add(link.path);
      next.set(link.path, link.entry);
      if (layer.paths.latest(link.path) === link.entry && !isDeleted(layers, index, link.path)) out.push(link.path);
    }
    targets = next;
  }
  return out;
}

/**
 * Whether a later entry of the same layer replaced the one a hit was in (a tar holding a path
 * twice extracts to the last): the hit records the last entry that had it, so an earlier one
 * means the final copy does not.
 */
export function isReplacedInLayer(layer: LayerScan, hit: LayerHit): boolean {
  return layer.paths.latest(hit.path) > hit.entry;
}
