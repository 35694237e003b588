import { createHash } from "node:crypto";
import type { z } from "zod";
import { inputError, isSafebuildError } from "../../errors.js";
import type { BlobStore } from "../source/blob-store.js";
import {
  dockerManifestSchema,
  imageManifestSchema,
  indexSchema,
  type Descriptor,
} from "./manifest-schemas.js";
import { formatPlatform, parsePlatform, platformMatches, type Platform } from "./platform.js";
import type { ReferrerRef } from "../findings/finding.js";
import type { ReferrerSource } from "../source/referrer-source.js";
import { layoutArtifact, layoutReferrers, type LayoutArtifact } from "./layout-artifacts.js";

/** One image to scan: its config and its layers, bottom first, as paths in the store. */
export interface ImagePlan {
  readonly configPath: string;
  readonly config: Buffer;
  /** sha256 of the config: the image id */
  readonly configDigest: string;
  readonly layerPaths: readonly string[];
  /** descriptor digests of the layers when the layout gives them (OCI), else null */
  readonly blobDigests: readonly (string | null)[];
  /** `os/arch[/variant]` when an index names the image's platform */
  readonly platform: string | undefined;
  /** the manifest's digest when an index points at it (attestations name their subject by it) */
  readonly manifestDigest: string | undefined;
  /** the digest the layout names the config by (an OCI descriptor, a `<sha256>.json` file name), if any */
  readonly configNamed: string | null;
  /** an OCI manifest: the digest its descriptor names and the sha256 of the bytes read */
  readonly manifest: { readonly named: string; readonly read: string } | null;
}

/** An OCI annotation: of an index (no image) or of an image's manifest or its descriptor. */
export interface AnnotationDoc {
  readonly key: string;
  readonly value: string;
  /** index into the plan's images, when the annotation belongs to one */
  readonly image: number | undefined;
  /** set when it is a referrer's (an artifact attached outside the image) */
  readonly referrer?: ReferrerRef;
}

/** One in-toto statement of a BuildKit attestation manifest, as a path in the store. */
export interface AttestationDoc {
  readonly path: string;
  readonly predicateType: string | undefined;
  /** index into the plan's images: the attestation's subject (undefined: a referrer of the index) */
  readonly image: number | undefined;
  /** set when it is a blob of a referrer manifest (cosign's `.att`, an SBOM, a signature) */
  readonly referrer?: ReferrerRef;
}

/** A manifest, index or `manifest.json` read to find the images: every field of it ships. */
export interface LayoutDocument {
  readonly path: string;
  readonly bytes: Buffer;
  /** index into the plan's images, when the document is one image's (or its attestation's) manifest */
  readonly image: number | undefined;
  /** set when it is a referrer manifest or a referrers tag's index */
  readonly referrer?: ReferrerRef;
}

/** An image an index lists whose manifest or config the source does not hold: reported as not searched. */
export interface MissingImage {
  readonly path: string;
  readonly reason: string;
}

/** What a layout holds to scan: the images, and the metadata around them. */
export interface LayoutPlan {
  readonly images: readonly ImagePlan[];
  /** images of a multi-platform index absent from the source while others are there (an export of one platform) */
  readonly missing: readonly MissingImage[];
  readonly annotations: readonly AnnotationDoc[];
  readonly attestations: readonly AttestationDoc[];
  readonly documents: readonly LayoutDocument[];
  /** the artifacts a layout lists beside its images (signatures, SBOMs, attestations), found as a registry's referrers are */
  readonly referrers?: ReferrerSource;
}

const ATTESTATION_TYPE = "attestation-manifest";

const INDEX_TYPES = new Set([
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
]);
const MAX_INDEX_DEPTH = 4;

async function parseJson<T>(store: BlobStore, path: string, schema: z.ZodType<T>, label: string): Promise<T | undefined> {
  const bytes = await store.json(path);
  if (bytes === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString("utf8"));
  } catch {
    throw inputError(`${label}: ${path} is not valid JSON`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw inputError(`${label}: ${path} is not a valid image ${path === "manifest.json" ? "manifest list" : "document"}`);
  return parsed.data;
}

/** `sha256:abc…` → `blobs/sha256/abc…`, refusing anything that could name another file. */
export function blobPath(digest: string, label: string): string {
  const match = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/.exec(digest);
  if (!match) throw inputError(`${label}: invalid digest in the image index`);
  return `blobs/${match[1]}/${match[2]}`;
}

async function configOf(store: BlobStore, path: string, label: string): Promise<{ config: Buffer; configDigest: string }> {
  const config = await required(store, path, label);
  return { config, configDigest: sha256Of(config) };
}

async function required(store: BlobStore, path: string, label: string): Promise<Buffer> {
  const bytes = await store.json(path);
  if (bytes === undefined) throw inputError(`${label}: ${path} is missing`);
  return bytes;
}

/**
 * Finds the images in a layout: docker save's manifest.json when present (Docker 25+ writes it
 * next to index.json; it is the simpler of the two), else the OCI index. Every image is
 * scanned: all of manifest.json's, and every platform of an index unless `--platform` picks
 * (a leak in the arm64 image ships as surely as one in the host's). Annotations of every index
 * and chosen manifest and the attestation manifests of the chosen images come along; so does
 * what an index.json beside a manifest.json adds (attestations, artifacts, other images).
 */
export async function planImages(store: BlobStore, platform: string | undefined, label: string, warnings: string[]): Promise<LayoutPlan> {
  const docker = await parseJson(store, "manifest.json", dockerManifestSchema, label);
  if (docker) return planDockerArchive(store, docker, label, warnings);
  const index = await parseJson(store, "index.json", indexSchema, label);
  if (!index) throw inputError(`${label}: not an image: no manifest.json or index.json`);
  return planIndex(store, index, platform, label, warnings, false);
}

type DockerManifest = z.infer<typeof dockerManifestSchema>;
type Index = z.infer<typeof indexSchema>;

/**
 * docker save's images, and what the index.json Docker 25+ writes beside manifest.json adds:
 * BuildKit's attestation manifests (a provenance records build arguments), artifacts, and
 * annotations, which the containerd image store keeps and saves. An image both list is one
 * image (matched by config digest), an image only the index lists and the archive holds is
 * scanned as well; one whose blobs the archive does not hold was never saved, so it is not
 * reported (manifest.json says what the archive holds).
 */
async function planDockerArchive(store: BlobStore, docker: DockerManifest, label: string, warnings: string[]): Promise<LayoutPlan> {
  const images: ImagePlan[] = await Promise.all(
    docker.map(async (entry) => ({
      configPath: entry.Config,
      ...(await configOf(store, entry.Config, label)),
      layerPaths: entry.Layers,
      blobDigests: entry.Layers.map(() => null),
      platform: undefined,
      manifestDigest: undefined,
      configNamed: digestInName(entry.Config),
      manifest: null,
    })),
  );
  const base: LayoutPlan = { images, missing: [], annotations: [], attestations: [], documents: await documentsAt(store, [{ path: "manifest.json", image: undefined }]) };
  let index: Index | undefined;
  try {
    index = await parseJson(store, "index.json", indexSchema, label);
  } catch {
    warnings.push(`${label}: the index.json beside manifest.json is not an image index: only manifest.json read`);
    return base;
  }
  if (index === undefined || (index.manifests ?? []).length === 0) return base;
  let oci: LayoutPlan;
  try {
    oci = await planIndex(store, index, undefined, label, warnings, true);
  } catch (error) {
    // what the index adds is read where the archive holds it; an index it does not hold is no error of the image's
    if (!isSafebuildError(error) || error.kind !== "input") throw error;
    warnings.push(`the index.json beside manifest.json is not all in the archive (${error.message}): only manifest.json read`);
    return base;
  }
  return besideDocker(base, oci);
}

/** manifest.json's plan with the index's merged in: one image per config digest, image numbers remapped. */
function besideDocker(docker: LayoutPlan, oci: LayoutPlan): LayoutPlan {
  const images = [...docker.images];
  const to = oci.images.map((image) => {
    const same = images.findIndex((d) => d.configDigest === image.configDigest);
    if (same === -1) return images.push(image) - 1;
    images[same] = { ...images[same]!, platform: image.platform, manifestDigest: image.manifestDigest };
    return same;
  });
  const remap = <T extends { readonly image: number | undefined }>(doc: T): T => (doc.image === undefined ? doc : { ...doc, image: to[doc.image] });
  return {
    images,
    missing: [],
    annotations: oci.annotations.map(remap),
    attestations: oci.attestations.map(remap),
    documents: [...docker.documents, ...oci.documents.map(remap)],
    ...(oci.referrers === undefined ? {} : { referrers: oci.referrers }),
  };
}

/** An OCI index's images; `beside` a manifest.json, images the archive does not hold are left out, not reported. */
async function planIndex(store: BlobStore, index: Index, platform: string | undefined, label: string, warnings: string[], beside: boolean): Promise<LayoutPlan> {
  const found: Found = { candidates: [], attestations: [], annotations: [], documents: [{ path: "index.json", image: undefined }] };
  collectAnnotations(index.annotations, undefined, found.annotations);
  await collectManifests(store, index.manifests ?? [], 0, label, found);
  const { images: imageCandidates, artifacts } = await sortArtifacts(store, found.candidates, label);
  const listed = beside ? imageCandidates : choose(imageCandidates, platform, label, warnings);
  const planned = await Promise.all(listed.map((c) => planOci(store, c, label)));
  // an export of one platform (`ctr export` without --all-platforms, a registry missing one) keeps
  // the others' entries: what is there is scanned, what is not is said; nothing there is an error
  const missing: MissingImage[] = [];
  for (const [i, plan] of planned.entries()) {
    if (typeof plan !== "string" || beside) continue;
    if (planned.every((p) => typeof p === "string")) throw inputError(`${label}: ${plan}`);
    const candidate = listed[i]!;
    const name = candidate.platform ? formatPlatform(candidate.platform) : "an";
    missing.push({ path: blobPath(candidate.descriptor.digest, label), reason: `the index lists ${name === "an" ? "an image" : `the ${name} image`}, but its ${plan} (a source exported for some platforms only): not searched` });
  }
  // the warning choose() gave says "all scanned": say which were not there
  if (missing.length > 0) warnings.push(`${missing.length} of the ${listed.length} images in the index not in ${label}: not searched (listed in notSearched)`);
  const chosen = listed.filter((_, i) => typeof planned[i] !== "string");
  const images = planned.filter((p): p is Exclude<typeof p, string> => typeof p !== "string");
  const annotations = [...found.annotations];
  const attestations: AttestationDoc[] = [];
  const documents = [...found.documents];
  for (const [i, image] of images.entries()) {
    collectAnnotations(chosen[i]?.descriptor.annotations, i, annotations);
    collectAnnotations(image.annotations, i, annotations);
    documents.push({ path: image.manifestPath, image: i });
  }
  for (const attestation of found.attestations) {
    const subject = images.findIndex((image) => image.manifestDigest === attestation.subject);
    if (subject === -1) continue;
    const manifest = await parseJson(store, blobPath(attestation.descriptor.digest, label), imageManifestSchema, label);
    if (!manifest) {
      warnings.push(`attestation manifest ${attestation.descriptor.digest} is not in ${label}: not searched`);
      continue;
    }
    collectAnnotations(manifest.annotations, subject, annotations);
    documents.push({ path: blobPath(attestation.descriptor.digest, label), image: subject });
    for (const layer of manifest.layers ?? []) {
      attestations.push({ path: blobPath(layer.digest, label), predicateType: layer.annotations?.["in-toto.io/predicate-type"], image: subject });
    }
  }
  const plan = { images: images.map(({ annotations: _, manifestPath: __, ...image }) => image), missing, annotations, attestations, documents: await documentsAt(store, documents) };
  if (artifacts.length === 0) return plan;
  const top = sha256Of(await required(store, "index.json", label));
  const held = new Set([top, ...imageCandidates.map((c) => c.descriptor.digest)]);
  return { ...plan, referrers: layoutReferrers(artifacts, top, held, (digest) => store.json(blobPath(digest, label))) };
}

/** The index's entries split into images and the artifacts attached to them (layout-artifacts.ts). */
async function sortArtifacts(store: BlobStore, candidates: readonly Candidate[], label: string): Promise<{ images: Candidate[]; artifacts: LayoutArtifact[] }> {
  const images: Candidate[] = [];
  const artifacts: LayoutArtifact[] = [];
  for (const candidate of candidates) {
    // an entry that names its platform is an image: a registry's index is not fetched twice for it
    if (candidate.platform !== undefined) {
      images.push(candidate);
      continue;
    }
    const bytes = await store.json(blobPath(candidate.descriptor.digest, label));
    let manifest: unknown;
    try {
      manifest = bytes === undefined ? undefined : JSON.parse(bytes.toString("utf8"));
    } catch {
      manifest = undefined; // planned as an image: its error names it
    }
    const artifact = layoutArtifact(candidate.descriptor, manifest);
    if (artifact === undefined) images.push(candidate);
    else artifacts.push(artifact);
  }
  return { images, artifacts };
}

/** The documents' bytes, read again from the store (each was read, and checked, to plan). */
async function documentsAt(store: BlobStore, places: readonly { path: string; image: number | undefined }[]): Promise<LayoutDocument[]> {
  const out: LayoutDocument[] = [];
  for (const { path, image } of places) {
    const bytes = await store.json(path);
    if (bytes !== undefined) out.push({ path, bytes, image });
  }
  return out;
}

interface Candidate {
  readonly descriptor: Descriptor;
  readonly platform: Platform | undefined;
}

interface Found {
  readonly candidates: Candidate[];
  readonly attestations: { readonly descriptor: Descriptor; readonly subject: string | undefined }[];
  readonly annotations: AnnotationDoc[];
  readonly documents: { readonly path: string; readonly image: number | undefined }[];
}

function collectAnnotations(annotations: Readonly<Record<string, string>> | null | undefined, image: number | undefined, out: AnnotationDoc[]): void {
  for (const [key, value] of Object.entries(annotations ?? {})) out.push({ key, value, image });
}

async function collectManifests(store: BlobStore, descriptors: readonly Descriptor[], depth: number, label: string, found: Found, above: readonly string[] = []): Promise<void> {
  if (depth > MAX_INDEX_DEPTH) throw inputError(`${label}: image indexes nested too deeply`);
  for (const d of descriptors) {
    if (d.annotations?.["vnd.docker.reference.type"] === ATTESTATION_TYPE) {
      found.attestations.push({ descriptor: d, subject: d.annotations["vnd.docker.reference.digest"] });
      continue;
    }
    if (d.platform?.os === "unknown") continue;
    if (d.mediaType !== undefined && INDEX_TYPES.has(d.mediaType)) {
      if (above.includes(d.digest)) throw inputError(`${label}: image index ${d.digest} points at itself`);
      const nested = await parseJson(store, blobPath(d.digest, label), indexSchema, label);
      if (!nested) throw inputError(`${label}: image index ${d.digest} is missing`);
      collectAnnotations(d.annotations, undefined, found.annotations);
      collectAnnotations(nested.annotations, undefined, found.annotations);
      found.documents.push({ path: blobPath(d.digest, label), image: undefined });
      await collectManifests(store, nested.manifests ?? [], depth + 1, label, found, [...above, d.digest]);
    } else {
      found.candidates.push({ descriptor: d, platform: d.platform });
    }
  }
}

/** Every image unless `--platform` names one (`all` is every one, as before it was the default). */
function choose(candidates: readonly Candidate[], platform: string | undefined, label: string, warnings: string[]): Candidate[] {
  if (candidates.length === 0) throw inputError(`${label}: the image index lists no image`);
  const names = (list: readonly Candidate[]): string => list.map((c) => (c.platform ? formatPlatform(c.platform) : "?")).join(", ");
  if (platform === undefined || platform === "all") {
    if (candidates.length > 1) warnings.push(`${candidates.length} images in the index (${names(candidates)}): all scanned; --platform picks one`);
    return [...candidates];
  }
  const wanted = parsePlatform(platform);
  const matching = candidates.filter((c) => c.platform && platformMatches(wanted, c.platform));
  if (matching.length === 0) throw inputError(`${label}: no image for platform ${platform} (the index has: ${names(candidates)})`);
  return matching;
}

/** The image's plan, or what of it is missing (`image manifest sha256:… is missing`): said by the caller. */
async function planOci(store: BlobStore, candidate: Candidate, label: string): Promise<(ImagePlan & { annotations: Readonly<Record<string, string>> | null | undefined; manifestPath: string }) | string> {
  const { descriptor } = candidate;
  const path = blobPath(descriptor.digest, label);
  const manifest = await parseJson(store, path, imageManifestSchema, label);
  if (!manifest) return `image manifest ${descriptor.digest} is missing`;
  const bytes = await required(store, path, label);
  const configPath = blobPath(manifest.config.digest, label);
  const config = await store.json(configPath);
  if (config === undefined) return `image config ${manifest.config.digest} is missing`;
  const layers = manifest.layers ?? [];
  return {
    configPath,
    config,
    configDigest: sha256Of(config),
    layerPaths: layers.map((l) => blobPath(l.digest, label)),
    blobDigests: layers.map((l) => l.digest),
    platform: candidate.platform === undefined ? undefined : formatPlatform(candidate.platform),
    manifestDigest: descriptor.digest,
    annotations: manifest.annotations,
    manifestPath: path,
    configNamed: manifest.config.digest,
    manifest: { named: descriptor.digest, read: sha256Of(bytes) },
  };
}

const sha256Of = (bytes: Buffer): string => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

/** `<hex>.json` (docker save) and `blobs/sha256/<hex>` (Docker 25+) name their content's sha256. */
function digestInName(path: string): string | null {
  const match = /^(?:\.\/)?(?:blobs\/sha256\/([0-9a-f]{64})|([0-9a-f]{64})\.json)$/.exec(path);
  return match ? `sha256:${match[1] ?? match[2]}` : null;
}
