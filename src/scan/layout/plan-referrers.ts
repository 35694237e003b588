import { isSafebuildError } from "../../errors.js";
import type { NotSearched, ReferrerRef } from "../findings/finding.js";
import type { BlobStore } from "../source/blob-store.js";
import { JSON_CAP } from "../source/blob-store.js";
import type { ReferrerListing, ReferrerSource } from "../source/referrer-source.js";
import type { z } from "zod";
import { imageManifestSchema, indexSchema, type Descriptor } from "./manifest-schemas.js";
import { blobPath, type AnnotationDoc, type AttestationDoc, type LayoutDocument, type LayoutPlan } from "./plan-images.js";

/** The bounds of the referrer walk (docs/registries.md "Referrers"); what one stops is notSearched. */
export interface ReferrerLimits {
  /** referrer manifests read in one scan, every subject together */
  readonly manifests: number;
  /** blobs (configs, layers) of referrer manifests read in one scan */
  readonly blobs: number;
  /** one blob: a larger one is not fetched */
  readonly blobBytes: number;
  /** every referrer blob of one scan together */
  readonly totalBytes: number;
  /** 1: the image's referrers; 2: theirs too (a signature of an SBOM) */
  readonly depth: number;
}

export const REFERRER_LIMITS: ReferrerLimits = { manifests: 256, blobs: 1024, blobBytes: JSON_CAP, totalBytes: 4 * JSON_CAP, depth: 2 };

/** What the referrers add to the layout's metadata, and what they could not show. */
export interface ReferrerPlan {
  readonly annotations: AnnotationDoc[];
  readonly attestations: AttestationDoc[];
  readonly documents: LayoutDocument[];
  readonly notSearched: NotSearched[];
}

/** The layout's metadata and the referrers' together, to be searched in one pass. */
export const withReferrers = (layout: LayoutPlan, referrers: ReferrerPlan): LayoutPlan => ({
  ...layout,
  annotations: [...layout.annotations, ...referrers.annotations],
  attestations: [...layout.attestations, ...referrers.attestations],
  documents: [...layout.documents, ...referrers.documents],
});

interface Subject {
  readonly digest: string;
  readonly image: number | undefined;
  readonly depth: number;
}

/**
 * The digests a referrer may name: a listing is the registry's (or any pusher's) word, and
 * anything else is neither fetched nor echoed into a report.
 */
const DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** The `{}` config OCI 1.1 artifacts carry: nothing in it to search. */
const EMPTY_CONFIG = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

/**
 * Finds the artifacts attached to the scanned images outside them (referrers API, referrers
 * tag schema, cosign's tags) for the index's digest and each chosen image's, and plans their
 * manifests, annotations and blobs to be searched as the image's own metadata is. A listing
 * that points back at an image or at a manifest already read is skipped; every limit that
 * stops the walk leaves a notSearched entry, never a silent clean.
 */
export async function planReferrers(store: BlobStore, layout: LayoutPlan, label: string, limits: ReferrerLimits = REFERRER_LIMITS): Promise<ReferrerPlan> {
  const plan: ReferrerPlan = { annotations: [], attestations: [], documents: [], notSearched: [] };
  const source = bothSources(store.referrers, layout.referrers);
  if (source === undefined) return plan;
  const queue: Subject[] = [];
  const seen = new Set<string>();
  const top = source.topIndex();
  if (top !== undefined) queue.push({ digest: top, image: undefined, depth: 0 });
  layout.images.forEach((image, i) => {
    if (image.manifestDigest !== undefined) queue.push({ digest: image.manifestDigest, image: i, depth: 0 });
  });
  for (const subject of queue) seen.add(subject.digest);
  const walk = new Walk(source, plan, limits, label, seen);
  const lookups = new Map<Subject, Promise<ReferrerListing[]>>();
  const lookup = (subject: Subject): Promise<ReferrerListing[]> => {
    let found = lookups.get(subject);
    if (found === undefined) {
      found = source.find(subject.digest, { cosign: subject.depth === 0 });
      found.catch(() => undefined); // awaited in turn
      lookups.set(subject, found);
    }
    return found;
  };
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const listings = lookup(next);
    // the next subjects' lookups (a few requests each) overlap this one's walk; walked in order all the same
    for (const ahead of queue.slice(0, LOOKAHEAD)) lookup(ahead);
    const read = await walk.subject(next, await listings);
    if (next.depth + 1 < limits.depth) queue.push(...read.map((digest) => ({ digest, image: next.image, depth: next.depth + 1 })));
  }
  return plan;
}

/**
 * A registry's referrers and the artifacts its index lists beside the images (layout-artifacts.ts)
 * together: an index may list an SBOM or an attestation itself. The store fetches and checks
 * every manifest; what the index lists attached to nothing it holds is the top index's.
 */
function bothSources(store: ReferrerSource | undefined, listed: ReferrerSource | undefined): ReferrerSource | undefined {
  if (store === undefined || listed === undefined) return store ?? listed;
  const top = store.topIndex() ?? listed.topIndex();
  const listedTop = listed.topIndex();
  return {
    topIndex: () => top,
    async find(subject, options) {
      const [own, beside, orphans] = await Promise.all([
        store.find(subject, options),
        listed.find(subject, options),
        subject === top && listedTop !== undefined && listedTop !== top ? listed.find(listedTop, options) : Promise.resolve([]),
      ]);
      return [...own, ...beside, ...orphans];
    },
    manifest: (digest) => store.manifest(digest),
  };
}

/** Subjects whose lookups run ahead of the walk: with five requests each, at most 20 in flight. */
const LOOKAHEAD = 3;

class Walk {
  #manifests = 0;
  #blobs = 0;
  #bytes = 0;

  constructor(
    private readonly source: ReferrerSource,
    private readonly plan: ReferrerPlan,
    private readonly limits: ReferrerLimits,
    private readonly label: string,
    private readonly seen: Set<string>,
  ) {}

  /** Reads every referrer `listings` name for `subject`, as the limits allow; returns the digests of the manifests read. */
  async subject(subject: Subject, listings: readonly ReferrerListing[]): Promise<string[]> {
    const pending: { descriptor: Descriptor; ref: ReferrerRef }[] = [];
    for (const listing of listings) {
      for (const descriptor of this.#listed(listing, subject)) pending.push({ descriptor, ref: { manifest: descriptor.digest, subject: subject.digest, via: listing.via } });
    }
    const read: string[] = [];
    let skipped = 0;
    for (let item = pending.shift(); item !== undefined; item = pending.shift()) {
      const { descriptor, ref } = item;
      if (this.seen.has(descriptor.digest)) continue; // an image, or read already: a listing may point back
      this.seen.add(descriptor.digest);
      if (this.#manifests >= this.limits.manifests) {
        skipped++;
        continue;
      }
      this.#manifests++;
      const children = await this.#manifest(descriptor, ref, subject.image);
      if (children === undefined) continue;
      read.push(descriptor.digest);
      // a referrer that is an index: its manifests are read as the same subject's referrers
      pending.push(...children.map((child) => ({ descriptor: child, ref: { ...ref, manifest: child.digest } })));
    }
    if (skipped > 0) this.#unread(`referrers of ${subject.digest}`, `${skipped} referrer manifests not read (limit: ${this.limits.manifests} per scan)`);
    return read;
  }

  /** The manifests a listing names; a listing that is no image index is notSearched. */
  #listed(listing: ReferrerListing, subject: Subject): Descriptor[] {
    if (listing.kind === "manifest") return [{ digest: listing.digest, ...(listing.mediaType === undefined ? {} : { mediaType: listing.mediaType }) }];
    const where = `${listing.via} (referrers of ${subject.digest})`;
    const index = parsed(listing.bytes, indexSchema);
    // a tag of that name holding one manifest, not an index: attached by name all the same, as cosign's are
    if (listing.digest !== undefined && !Array.isArray(index?.manifests) && parsed(listing.bytes, imageManifestSchema) !== undefined) return [{ digest: listing.digest }];
    if (index === undefined || !Array.isArray(index.manifests)) {
      this.#unread(where, "not an image index of referrers");
      return [];
    }
    if (listing.incomplete) this.#unread(where, "more pages of referrers than are read (or a next page on another host)");
    if (listing.digest !== undefined) {
      // a tag's index ships like any manifest; the API's answer is the registry's, made of the referrers' own fields
      const ref = { manifest: listing.digest, subject: subject.digest, via: listing.via };
      this.plan.documents.push({ path: blobPath(listing.digest, this.label), bytes: listing.bytes, image: subject.image, referrer: ref });
    }
    return index.manifests;
  }

  /** Plans one referrer manifest; returns an index's children, undefined when it could not be read. */
  async #manifest(descriptor: Descriptor, ref: ReferrerRef, image: number | undefined): Promise<readonly Descriptor[] | undefined> {
    if (!DIGEST.test(descriptor.digest)) {
      this.#unread(`referrers of ${ref.subject} (${ref.via})`, "a referrer named by a malformed digest");
      return undefined;
    }
    const path = blobPath(descriptor.digest, this.label);
    let bytes: Buffer;
    try {
      bytes = await this.source.manifest(descriptor.digest);
    } catch (error) {
      // only this artifact is unreadable (a 404, over 4 MiB); a registry that fails, or lies about a digest, stops the scan
      if (!isSafebuildError(error) || error.kind !== "input") throw error;
      this.#unread(`referrer ${descriptor.digest} (${ref.via})`, "referrer manifest not readable (missing, or over 4 MiB)");
      return undefined;
    }
    this.plan.documents.push({ path, bytes, image, referrer: ref });
    for (const [key, value] of Object.entries(descriptor.annotations ?? {})) this.plan.annotations.push({ key, value, image, referrer: ref });
    const index = parsed(bytes, indexSchema);
    if (index !== undefined && Array.isArray(index.manifests)) return index.manifests;
    const manifest = parsed(bytes, imageManifestSchema);
    if (manifest === undefined) {
      this.#unread(path, `referrer manifest (${ref.via}) is neither an image manifest nor an index`);
      return [];
    }
    for (const [key, value] of Object.entries(manifest.annotations ?? {})) this.plan.annotations.push({ key, value, image, referrer: ref });
    if (manifest.config.digest !== EMPTY_CONFIG) this.#blob(manifest.config, ref, image);
    for (const layer of manifest.layers ?? []) this.#blob(layer, ref, image);
    return [];
  }

  /** A config or layer of a referrer, to be searched as an attestation, within the limits. */
  #blob(descriptor: Descriptor, ref: ReferrerRef, image: number | undefined): void {
    if (!DIGEST.test(descriptor.digest)) return this.#unread(`referrer ${ref.manifest} (${ref.via})`, "a blob named by a malformed digest");
    const path = blobPath(descriptor.digest, this.label);
    // a size the descriptor does not give (or gives as nonsense) counts as the most a blob may be
    const size = descriptor.size !== undefined && descriptor.size >= 0 ? descriptor.size : this.limits.blobBytes;
    const over =
      size > this.limits.blobBytes
        ? `referrer blob over ${this.limits.blobBytes} bytes`
        : this.#blobs >= this.limits.blobs
          ? `referrer blobs over ${this.limits.blobs} per scan`
          : this.#bytes + size > this.limits.totalBytes
            ? `referrer blobs over ${this.limits.totalBytes} bytes per scan`
            : undefined;
    if (over !== undefined) return this.#unread(path, `${over} (referrer ${ref.manifest}, ${ref.via}): not fetched`);
    this.#blobs++;
    this.#bytes += size;
    const annotations = descriptor.annotations ?? {};
    // cosign writes the statement's type as `predicateType`, BuildKit as `in-toto.io/predicate-type`
    const predicateType = annotations["predicateType"] ?? annotations["in-toto.io/predicate-type"];
    this.plan.attestations.push({ path, image, referrer: ref, predicateType });
  }

  #unread(path: string, reason: string): void {
    this.plan.notSearched.push({ path, layer: null, reason });
  }
}

function parsed<T>(bytes: Buffer, schema: z.ZodType<T>): T | undefined {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString("utf8"));
  } catch {
    return undefined;
  }
  const result = schema.safeParse(value);
  return result.success ? result.data : undefined;
}
