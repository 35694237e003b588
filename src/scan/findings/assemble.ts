import { censor } from "./censor.js";
import type { ConfigHit, ImageConfig } from "./config-scan.js";
import { isDeleted, isReplacedInLayer, visibleLinks } from "../layer/visibility.js";
import { RULES_SCOPE, type Finding, type LayerRef, type NotSearched } from "./finding.js";
import type { LayerHit, LayerScan } from "../layer/layer-scan.js";
import type { NeedleTable } from "./needles.js";
import { ruleFingerprint } from "./rule-finding.js";
import { RULES_STOPPED_TAG } from "./rule-limits.js";

export interface ScannedImage {
  readonly config: ImageConfig;
  readonly layers: readonly LayerScan[];
  readonly blobDigests: readonly (string | null)[];
}

/**
 * `digest` is the layer's blob digest as the source stores it (an OCI manifest's, compressed
 * or not), as Trivy and registries name layers; `diffId` is the sha256 of the uncompressed tar
 * from the config's rootfs. A docker-archive's layer.tar is the uncompressed tar, so there
 * both are the diff_id (what `digest` held before diffId existed).
 */
export function layerRef(image: ScannedImage, index: number, needles: NeedleTable): LayerRef {
  const createdBy = image.config.layerHistory[index] ?? null;
  const diffId = image.config.diffIds[index] ?? null;
  return {
    index,
    digest: image.blobDigests[index] ?? diffId ?? "unknown",
    diffId,
    createdBy: createdBy === null ? null : censor(createdBy, needles),
  };
}

/** A history finding's `created_by`, censored: what names its Dockerfile line (commands/dockerfile-lines.ts). */
function historyEntry(image: ScannedImage, hit: ConfigHit, needles: NeedleTable): { createdBy?: string } {
  const index = hit.where === "history" ? /^history\[(\d+)\]\.created_by$/.exec(hit.path)?.[1] : undefined;
  const createdBy = index === undefined ? null : (image.config.history[Number(index)] ?? null);
  return createdBy === null ? {} : { createdBy: censor(createdBy, needles) };
}

/**
 * A layer's hits in the order of its entries, then of the members and needles within one: gzip
 * files inflate beside the walk and report as they finish, so the order they came in differs
 * from run to run, and a report diffed against yesterday's must not.
 */
const inLayerOrder = (hits: readonly LayerHit[]): LayerHit[] =>
  [...hits].sort((a, b) => a.entry - b.entry || compare(a.path, b.path) || compare(a.where, b.where) || compare(a.inner, b.inner) || a.tag - b.tag);

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Findings of one image, deduplicated; `imageIndex` is set only when the source held several images. */
export function assembleFindings(image: ScannedImage, needles: NeedleTable, imageIndex: number | undefined, platform?: string): Finding[] {
  const out = new Map<string, Finding>();
  // Paths are censored after `deleted` is known, and before deduplication.
  const add = (finding: Finding): void => {
    const key = JSON.stringify([finding.secret, finding.where, finding.layer?.index ?? null, finding.path, finding.encoding, finding.container ?? null, finding.fingerprint ?? null]);
    if (!out.has(key)) out.set(key, finding);
  };
  const extra = { ...(imageIndex === undefined ? {} : { image: imageIndex }), ...(platform === undefined ? {} : { platform }) };
  const fromConfig = (hit: ConfigHit): void => {
    const variant = needles.variants[hit.tag];
    const entry = historyEntry(image, hit, needles);
    if (!variant) {
      const found = ruleFinding(needles, hit.tag, hit.where, hit.path);
      if (found) add({ ...found, layer: null, deleted: false, ...extra, ...entry });
      return;
    }
    add({ secret: variant.secretId, rule: null, where: hit.where, layer: null, path: hit.path, encoding: variant.encoding, deleted: false, ...extra, ...entry });
  };
  image.config.hits.forEach(fromConfig);
  // per finding key: the paths where its bytes are visible (its own, or its surviving hard links)
  const visible = new Map<string, string[]>();
  // rule matches in archive members the rules allow: their archive's match of the same bytes goes too
  const quietMembers: Finding[] = [];
  // files an installed package's RECORD lists, in whichever layer it came (installed-records.ts)
  const installed = new Set<string>();
  for (const layer of image.layers) for (const path of layer.installed ?? []) installed.add(path);
  image.layers.forEach((layer, index) => {
    const ref = layerRef(image, index, needles);
    for (const hit of inLayerOrder(layer.hits)) {
      const variant = needles.variants[hit.tag];
      const gone = isReplacedInLayer(layer, hit) || isDeleted(image.layers, index, hit.path);
      const links = gone && hit.where === "file" ? visibleLinks(image.layers, index, hit).map((p) => censor(p + hit.inner, needles)) : [];
      if (!variant) {
        const path = censor(hit.path + hit.inner, needles);
        const judged = judgeRuleMatch(needles, hit.tag, hit.where, path, installed.has(hit.path));
        if (judged === undefined) continue;
        const finding: Finding = {
          ...judged.finding,
          layer: ref,
          deleted: gone && links.length === 0,
          ...(links.length === 0 ? {} : { visibleAt: links.slice(0, 10) }),
          ...extra,
          ...(hit.container === null ? {} : { container: hit.container }),
        };
        if (!judged.quiet) add(finding);
        else if (hit.inner !== "") quietMembers.push(finding);
        continue;
      }
      const finding: Finding = {
        secret: variant.secretId,
        rule: null,
        where: hit.where,
        layer: ref,
        path: censor(hit.path + hit.inner, needles),
        encoding: variant.encoding,
        deleted: gone && links.length === 0,
        ...extra,
        ...(hit.container === null ? {} : { container: hit.container }),
      };
      add(finding);
      if (finding.where === "file") visible.set(findingKey(finding), gone ? links : [finding.path]);
    }
  });
  return withVisibility(withoutContainers(withoutParts([...out.values()]), quietMembers), visible);
}

function findingKey(f: Finding): string {
  return JSON.stringify([f.secret, f.where, f.layer?.index ?? null, f.path, f.encoding, f.container ?? null]);
}

/** How many paths `visibleAt` names at most: enough to act on, never a flood. */
const MAX_VISIBLE_AT = 10;

/**
 * `visibleAt` of each file finding whose own path is gone: its surviving hard links, then the
 * visible paths of the same secret's other file findings (the same value elsewhere), so no
 * finding reads "deleted" while the value is still there to read.
 */
function withVisibility(findings: Finding[], visible: ReadonlyMap<string, readonly string[]>): Finding[] {
  const bySecret = new Map<string, Set<string>>();
  for (const f of findings) {
    if (f.secret === null || f.where !== "file") continue;
    const set = bySecret.get(f.secret) ?? new Set<string>();
    for (const path of visible.get(findingKey(f)) ?? []) set.add(path);
    bySecret.set(f.secret, set);
  }
  return findings.map((f) => {
    const own = visible.get(findingKey(f));
    if (f.secret === null || f.where !== "file" || own === undefined || own.includes(f.path)) return f;
    const elsewhere = [...(bySecret.get(f.secret) ?? [])].filter((p) => !own.includes(p) && p !== f.path);
    const at = [...own, ...elsewhere].slice(0, MAX_VISIBLE_AT);
    return at.length === 0 ? f : { ...f, visibleAt: at };
  });
}

/** What the layers of one image could not read in full, each at its layer, and where the pattern rules stopped. */
export function assembleNotSearched(image: ScannedImage, needles: NeedleTable, imageIndex: number | undefined): NotSearched[] {
  const extra = imageIndex === undefined ? {} : { image: imageIndex };
  const files = image.layers.flatMap((layer, index) =>
    [...layer.notSearched].sort((a, b) => compare(a.path, b.path) || compare(a.reason, b.reason)).map((skip) => ({ path: censor(skip.path, needles), layer: layerRef(image, index, needles), reason: censor(skip.reason, needles), ...extra })),
  );
  const limit = needles.rulesStopped();
  if (limit === null) return files;
  const stop = (path: string, layer: LayerRef | null): NotSearched => ({ path: censor(path, needles), layer, reason: rulesStoppedReason(limit, true), scope: RULES_SCOPE, ...extra });
  const inConfig = image.config.hits.filter((hit) => hit.tag === RULES_STOPPED_TAG).map((hit) => stop(hit.path, null));
  const inLayers = image.layers.flatMap((layer, index) => inLayerOrder(layer.hits).filter((hit) => hit.tag === RULES_STOPPED_TAG).map((hit) => stop(hit.path + hit.inner, layerRef(image, index, needles))));
  return [...files, ...inConfig, ...inLayers];
}

/** Why a notSearched entry of the pattern rules: the limit, and what the rest of the scan still did. */
export const rulesStoppedReason = (limit: string, here: boolean): string =>
  `pattern rules stopped${here ? " here" : ""}: ${limit}; ${here ? "the rest of this file and everything read after it were" : "what was read after that was"} searched for known values only`;

/**
 * Findings that add nothing where another is in the same place: lines and fields are parts of
 * the raw value; ASCII text amid UTF-16 text matches the UTF-16BE needle a byte off the LE one.
 */
const COVERED_BY: Readonly<Record<string, string>> = { line: "raw", field: "raw", utf16be: "utf16le" };
/** A key's numbers are in every form of the key: where the key itself is found, they add nothing. */
const isKeyMaterial = (encoding: string): boolean => encoding.startsWith("key-material");

export function withoutParts(findings: readonly Finding[]): Finding[] {
  const place = (f: Finding): string => JSON.stringify([f.secret, f.where, f.layer?.index ?? null, f.path, f.container ?? null, f.image ?? null, f.platform ?? null]);
  const at = new Set(findings.map((f) => `${f.encoding} ${place(f)}`));
  const keyFound = new Set(findings.filter((f) => !isKeyMaterial(f.encoding)).map(place));
  return findings.filter((f) => {
    if (isKeyMaterial(f.encoding)) return !keyFound.has(place(f));
    const cover = COVERED_BY[f.encoding];
    return cover === undefined || !at.has(`${cover} ${place(f)}`);
  });
}

/**
 * An archive and its member hold the same bytes (an `.a` stores its `.o` as is; a `.tgz`'s
 * inflated stream is its tar): the same value found in both is one leak, reported where it
 * can be acted on, the innermost member. The outer finding goes when a member below it has
 * the same value in the same form (for rules: the same rule and preview). `quietMembers` are
 * rule matches in members whose own path the rule allows (`app/node_modules.tar!/node_modules/…`):
 * not findings, but their archive's match of the same bytes is judged by them, so it goes too.
 */
export function withoutContainers(findings: readonly Finding[], quietMembers: readonly Finding[] = []): Finding[] {
  const identity = (f: Finding): string =>
    JSON.stringify([f.secret, f.rule, f.secret === null ? (f.preview ?? null) : f.encoding, f.layer?.index ?? null, f.image ?? null, f.platform ?? null]);
  const members = new Map<string, string[]>();
  for (const f of [...findings, ...quietMembers]) {
    if (f.where !== "file" || !f.path.includes("!/")) continue;
    const list = members.get(identity(f)) ?? [];
    list.push(f.path);
    members.set(identity(f), list);
  }
  if (members.size === 0) return [...findings];
  return findings.filter((f) => f.where !== "file" || !(members.get(identity(f)) ?? []).some((inner) => inner.startsWith(`${f.path}!/`)));
}

type RuleFinding = Pick<Finding, "secret" | "rule" | "where" | "path" | "encoding" | "severity" | "preview" | "fingerprint">;

/**
 * The place-independent part of a pattern rule's finding, and whether it is quiet there (a path
 * the rule allows, or a file an installed package lists, and a secret without its checksum);
 * undefined when the tag is no rule match.
 */
function judgeRuleMatch(needles: NeedleTable, tag: number, where: Finding["where"], path: string, installed: boolean): { finding: RuleFinding; quiet: boolean } | undefined {
  const match = needles.ruleMatch(tag);
  if (match === undefined) return undefined;
  const quiet = match.rule.allowsPath(path, match.verified) || (installed && match.rule.quietWhenInstalled && !match.verified);
  const rule = match.rule.id;
  const finding: RuleFinding = { secret: null, rule, where, path, encoding: "raw", severity: match.rule.severity, preview: match.preview, fingerprint: ruleFingerprint(rule, where, path, match.offset) };
  return { finding, quiet };
}

/** A pattern rule's finding (place-independent part), or undefined (no rule match, or quiet there: judgeRuleMatch). */
export function ruleFinding(needles: NeedleTable, tag: number, where: Finding["where"], path: string, installed = false): RuleFinding | undefined {
  const judged = judgeRuleMatch(needles, tag, where, path, installed);
  return judged === undefined || judged.quiet ? undefined : judged.finding;
}

/** Files opened as a format they turned out not to be in full: one warning line for each image, naming the first few. */
export function unreadableWarning(image: ScannedImage, needles: NeedleTable): string | undefined {
  const all = image.layers.flatMap((layer, index) => layer.unreadable.map((u) => ({ ...u, index })));
  if (all.length === 0) return undefined;
  const shown = all.slice(0, 3).map((u) => `layer ${u.index} ${censor(u.path, needles)} (${censor(u.reason, needles)})`);
  const more = all.length > shown.length ? ` and ${all.length - shown.length} more` : "";
  return `not well-formed, searched as bytes and as far as they decode: ${shown.join("; ")}${more}`;
}
