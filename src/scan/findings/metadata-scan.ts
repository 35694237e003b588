import { isSafebuildError } from "../../errors.js";
import { ruleFinding, withoutParts } from "./assemble.js";
import { JSON_CAP, type BlobStore } from "../source/blob-store.js";
import { censor } from "./censor.js";
import type { Finding, NotSearched, ReferrerRef } from "./finding.js";
import { searchAttestation, type AttestationSearch } from "./attestation-scan.js";
import { jsonPointer, searchJson } from "./json-search.js";
import type { LayoutPlan } from "../layout/plan-images.js";
import type { NeedleTable } from "./needles.js";

interface Placed {
  readonly image: number | undefined;
  readonly referrer?: ReferrerRef;
}

/**
 * The metadata around the images: OCI annotations (of indexes, manifests and their descriptors),
 * every other field of the index and manifest documents (`urls`, `subject`, fields no schema
 * names: they ship with the image), and BuildKit's attestation statements (provenance records
 * build arguments). Each finding names the annotation key or a JSON pointer, never the value.
 */
export async function scanMetadata(plan: LayoutPlan, store: BlobStore, needles: NeedleTable, label: string, warnings: string[], notSearched: NotSearched[] = []): Promise<Finding[]> {
  const several = plan.images.length > 1;
  const placeOf = (doc: Placed): Pick<Finding, "image" | "platform" | "referrer"> => {
    const referrer = doc.referrer === undefined ? {} : { referrer: doc.referrer };
    if (doc.image === undefined) return referrer;
    const platform = plan.images[doc.image]?.platform;
    return { ...(several ? { image: doc.image } : {}), ...(platform === undefined ? {} : { platform }), ...referrer };
  };
  const out = new Map<string, Finding>();
  const add = (finding: Finding): void => {
    const key = JSON.stringify([finding.secret, finding.where, finding.path, finding.encoding, finding.image ?? null, finding.platform ?? null, finding.fingerprint ?? null, finding.referrer?.manifest ?? null]);
    if (!out.has(key)) out.set(key, finding);
  };
  const finding = (tag: number, where: Finding["where"], path: string, doc: Placed): Finding | undefined => {
    const variant = needles.variants[tag];
    if (!variant) {
      const found = ruleFinding(needles, tag, where, censor(path, needles));
      return found && { ...found, layer: null, deleted: false, ...placeOf(doc) };
    }
    return { secret: variant.secretId, rule: null, where, layer: null, path: censor(path, needles), encoding: variant.encoding, deleted: false, ...placeOf(doc) };
  };

  for (const doc of plan.annotations) {
    for (const text of [doc.key, doc.value]) {
      needles.matcher.scan(Buffer.from(text, "utf8"), (tag) => {
        const found = finding(tag, "annotation", doc.key, doc);
        if (found) add(found);
      });
    }
  }
  for (const doc of plan.documents) {
    const { hits } = searchJson(doc.bytes, needles, `${label}: ${doc.path}`);
    for (const hit of hits) {
      const key = annotationKey(hit.segments);
      if (key !== undefined) {
        // the annotation pass above names these with the image they belong to; here only what it missed
        const found = finding(hit.tag, "annotation", key, doc);
        if (found && ![...out.values()].some((f) => f.where === "annotation" && f.path === found.path && f.secret === found.secret && f.rule === found.rule && f.encoding === found.encoding && f.referrer?.manifest === found.referrer?.manifest)) add(found);
        continue;
      }
      const found = finding(hit.tag, "manifest", `${doc.path}#${jsonPointer(hit.segments)}`, doc);
      if (found) add(found);
    }
  }
  for (const doc of plan.attestations) {
    let raw: Buffer | undefined;
    try {
      raw = await store.json(doc.path);
    } catch (error) {
      if (!isSafebuildError(error)) throw error;
      raw = undefined;
    }
    if (raw === undefined) {
      // never a silent clean: an attestation is where build arguments are recorded
      notSearched.push({ path: doc.path, layer: null, reason: `${doc.referrer === undefined ? "attestation layer" : `referrer blob (${doc.referrer.via})`} not readable (over ${JSON_CAP} bytes, or missing)` });
      continue;
    }
    let searched: AttestationSearch;
    try {
      searched = searchAttestation(raw, needles, `${label}: attestation ${doc.path}`);
    } catch (error) {
      if (!isSafebuildError(error) || doc.referrer === undefined) throw error;
      // only this attached artifact is unreadable (nested past the JSON depth): the image's own stay searched
      notSearched.push({ path: doc.path, layer: null, reason: `referrer blob (${doc.referrer.via}): ${error.message}` });
      continue;
    }
    // not a statement after all (or not one this reads): its bytes are searched all the same
    if (searched.asBytes) warnings.push(`${doc.referrer === undefined ? "an attestation layer" : `a referrer blob (${doc.referrer.via})`} (${doc.path}) is not JSON: searched as bytes`);
    // the statement's own word first: a descriptor's annotation is only a copy of it
    const predicateType = searched.predicateType ?? doc.predicateType;
    for (const hit of searched.hits) {
      const found = finding(hit.tag, "attestation", hit.path, doc);
      if (found) add(predicateType === undefined ? found : { ...found, predicateType });
    }
  }
  return withoutParts([...out.values()]);
}

/** The key when a hit is a key or value of an `annotations` map, else undefined. */
function annotationKey(segments: readonly (string | number)[]): string | undefined {
  const at = segments.length - 2;
  return at >= 0 && segments[at] === "annotations" ? String(segments[at + 1]) : undefined;
}

