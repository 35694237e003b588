import { createHash } from "node:crypto";
import { describe, expect, test } from "vitest";
import { environmentError, inputError } from "../../../src/errors.js";
import { planReferrers, REFERRER_LIMITS, type ReferrerLimits } from "../../../src/scan/layout/plan-referrers.js";
import type { ImagePlan, LayoutPlan } from "../../../src/scan/layout/plan-images.js";
import type { BlobStore } from "../../../src/scan/source/blob-store.js";
import type { ReferrerListing, ReferrerSource } from "../../../src/scan/source/referrer-source.js";

// The referrer walk over an in-memory store: what a registry would list is given as listings,
// so the bounds, cycles and malformed listings are pinned without a network.

const MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const digestOf = (bytes: Buffer): string => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const IMAGE = `sha256:${"1".repeat(64)}`;

interface Fake {
  readonly manifests: Map<string, Buffer | Error>;
  readonly listings: Map<string, ReferrerListing[]>;
  readonly asked: { subject: string; cosign: boolean }[];
}

function fakeStore(fake: Fake, top?: string): BlobStore {
  const referrers: ReferrerSource = {
    topIndex: () => top,
    find: async (subject, { cosign }) => (fake.asked.push({ subject, cosign }), fake.listings.get(subject) ?? []),
    manifest: async (digest) => {
      const found = fake.manifests.get(digest);
      if (found === undefined) throw inputError(`manifest ${digest} not found`);
      if (found instanceof Error) throw found;
      return found;
    },
  };
  return { json: async () => undefined, layer: () => Promise.reject(new Error("no layers here")), referrers };
}

const layoutOf = (digests: readonly string[]): LayoutPlan => ({
  images: digests.map((manifestDigest) => ({ manifestDigest }) as ImagePlan),
  missing: [],
  annotations: [],
  attestations: [],
  documents: [],
});

/** An artifact manifest with one layer per size given; returns its digest. */
function artifact(fake: Fake, subject: string, layers: readonly { size: number; annotations?: Record<string, string> }[] = [{ size: 10 }], extra: Record<string, unknown> = {}): string {
  const bytes = json({
    schemaVersion: 2,
    mediaType: MANIFEST,
    config: { mediaType: "application/vnd.oci.empty.v1+json", digest: "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", size: 2 },
    layers: layers.map((l, i) => ({ mediaType: "application/vnd.dsse.envelope.v1+json", digest: `sha256:${String(i).padStart(64, "a")}`, size: l.size, ...(l.annotations ? { annotations: l.annotations } : {}) })),
    subject: { mediaType: MANIFEST, digest: subject, size: 1 },
    ...extra,
  });
  const digest = digestOf(bytes);
  fake.manifests.set(digest, bytes);
  return digest;
}

const tagIndex = (digests: readonly string[], via = "tag sha256-x"): ReferrerListing & { kind: "index"; digest: string } => {
  const bytes = json({ schemaVersion: 2, manifests: digests.map((digest) => ({ mediaType: MANIFEST, digest, size: 1 })) });
  return { kind: "index", via, bytes, digest: digestOf(bytes), incomplete: false };
};

const newFake = (): Fake => ({ manifests: new Map(), listings: new Map(), asked: [] });
const limits = (over: Partial<ReferrerLimits>): ReferrerLimits => ({ ...REFERRER_LIMITS, ...over });

describe("the referrer walk", () => {
  test("a store without referrers (a file, the engine) adds nothing", async () => {
    const store: BlobStore = { json: async () => undefined, layer: () => Promise.reject(new Error("none")) };
    expect(await planReferrers(store, layoutOf([IMAGE]), "t")).toEqual({ annotations: [], attestations: [], documents: [], notSearched: [] });
  });

  test("the index and every image are subjects; cosign's tags only for them, the referrers' own referrers once", async () => {
    const fake = newFake();
    const index = `sha256:${"9".repeat(64)}`;
    const other = `sha256:${"2".repeat(64)}`;
    const att = artifact(fake, IMAGE, [{ size: 10, annotations: { predicateType: "https://slsa.dev/provenance/v1" } }]);
    const signature = artifact(fake, att, [{ size: 5, annotations: { "in-toto.io/predicate-type": "https://example.com/sig" } }]);
    const deeper = artifact(fake, signature);
    fake.listings.set(IMAGE, [{ kind: "manifest", via: "tag sha256-1.att", digest: att, mediaType: MANIFEST }]);
    const signatures = tagIndex([signature]);
    fake.listings.set(att, [signatures]);
    fake.listings.set(signature, [tagIndex([deeper])]);
    const plan = await planReferrers(fakeStore(fake, index), layoutOf([IMAGE, other]), "t");
    expect(fake.asked).toEqual([
      { subject: index, cosign: true },
      { subject: IMAGE, cosign: true },
      { subject: other, cosign: true },
      { subject: att, cosign: false },
    ]);
    expect(plan.attestations).toEqual([
      { path: `blobs/sha256/${"0".padStart(64, "a")}`, image: 0, predicateType: "https://slsa.dev/provenance/v1", referrer: { manifest: att, subject: IMAGE, via: "tag sha256-1.att" } },
      { path: `blobs/sha256/${"0".padStart(64, "a")}`, image: 0, predicateType: "https://example.com/sig", referrer: { manifest: signature, subject: att, via: "tag sha256-x" } },
    ]);
    // the referrer manifests and the tag's index are searched as documents; the empty config is not fetched
    expect(plan.documents.map((d) => d.path)).toEqual([att, signatures.digest, signature].map((d) => `blobs/sha256/${d.slice(7)}`));
    expect(plan.notSearched).toEqual([]);
  });

  test("a listing that points back at the image, at itself or at a manifest read already: each read once", async () => {
    const fake = newFake();
    const a = artifact(fake, IMAGE);
    fake.listings.set(IMAGE, [tagIndex([IMAGE, a, a]), { kind: "manifest", via: "tag sha256-1.att", digest: a, mediaType: MANIFEST }]);
    fake.listings.set(a, [tagIndex([IMAGE, a])]);
    const plan = await planReferrers(fakeStore(fake), layoutOf([IMAGE]), "t");
    expect(plan.attestations).toHaveLength(1);
    expect(plan.notSearched).toEqual([]);
  });

  test("more referrers than the limit: the rest are notSearched, counted", async () => {
    const fake = newFake();
    const many = Array.from({ length: 5 }, (_, i) => artifact(fake, IMAGE, [{ size: 1 }], { annotations: { n: String(i) } }));
    fake.listings.set(IMAGE, [tagIndex(many)]);
    const plan = await planReferrers(fakeStore(fake), layoutOf([IMAGE]), "t", limits({ manifests: 3 }));
    expect(plan.attestations).toHaveLength(3);
    expect(plan.notSearched).toEqual([{ path: `referrers of ${IMAGE}`, layer: null, reason: "2 referrer manifests not read (limit: 3 per scan)" }]);
  });

  test.each([
    ["one blob over the per-blob bound", [{ size: 101 }], { blobBytes: 100 }, /referrer blob over 100 bytes/],
    ["a blob with no size (taken as the bound) past the total", [{ size: 60 }, { size: Number.NaN }], { blobBytes: 100, totalBytes: 120 }, /referrer blobs over 120 bytes per scan/],
    ["more blobs than the per-scan count", [{ size: 1 }, { size: 1 }, { size: 1 }], { blobs: 2 }, /referrer blobs over 2 per scan/],
    ["a negative size (counted as the bound) past the total", [{ size: 60 }, { size: -1000 }], { blobBytes: 100, totalBytes: 120 }, /referrer blobs over 120 bytes per scan/],
  ])("%s: not fetched, notSearched", async (_name, sizes, bound, reason) => {
    const fake = newFake();
    const layers = sizes.map((l) => (Number.isNaN(l.size) ? ({} as { size: number }) : l));
    const a = artifact(fake, IMAGE, layers);
    fake.listings.set(IMAGE, [tagIndex([a])]);
    const plan = await planReferrers(fakeStore(fake), layoutOf([IMAGE]), "t", limits(bound));
    expect(plan.notSearched).toEqual([expect.objectContaining({ reason: expect.stringMatching(reason) })]);
    expect(plan.attestations.length).toBe(sizes.length - 1);
  });

  test.each([
    ["not JSON", Buffer.from("<html>")],
    ["no manifests array", json({ schemaVersion: 2, manifests: "none" })],
    ["a descriptor without a digest", json({ schemaVersion: 2, manifests: [{ mediaType: MANIFEST }] })],
  ])("a referrers index that is %s: notSearched, the scan goes on", async (_name, bytes) => {
    const fake = newFake();
    fake.listings.set(IMAGE, [{ kind: "index", via: "referrers API", bytes, digest: undefined, incomplete: false }]);
    const plan = await planReferrers(fakeStore(fake), layoutOf([IMAGE]), "t");
    expect(plan.notSearched).toEqual([{ path: `referrers API (referrers of ${IMAGE})`, layer: null, reason: "not an image index of referrers" }]);
  });

  test("an API listing with pages left unread: notSearched; the API's own answer is no document", async () => {
    const fake = newFake();
    const a = artifact(fake, IMAGE);
    fake.listings.set(IMAGE, [{ ...tagIndex([a], "referrers API"), digest: undefined, incomplete: true }]);
    const plan = await planReferrers(fakeStore(fake), layoutOf([IMAGE]), "t");
    expect(plan.notSearched).toEqual([expect.objectContaining({ reason: expect.stringMatching(/more pages of referrers than are read/) })]);
    expect(plan.documents.map((d) => d.path)).toEqual([`blobs/sha256/${a.slice(7)}`]);
  });

  test("a referrer manifest that is missing, malformed or neither kind: notSearched; a registry fault stops the scan", async () => {
    const fake = newFake();
    const missing = `sha256:${"e".repeat(64)}`;
    const odd = json({ schemaVersion: 2, hello: "world" });
    fake.manifests.set(digestOf(odd), odd);
    fake.listings.set(IMAGE, [tagIndex([missing, "sha256:../../etc", digestOf(odd)])]);
    const plan = await planReferrers(fakeStore(fake), layoutOf([IMAGE]), "t");
    expect(plan.notSearched.map((n) => n.reason)).toEqual([
      "referrer manifest not readable (missing, or over 4 MiB)",
      "a referrer named by a malformed digest",
      "referrer manifest (tag sha256-x) is neither an image manifest nor an index",
    ]);
    // a malformed digest is neither fetched nor echoed
    expect(JSON.stringify(plan.notSearched)).not.toContain("etc");
    const faulty = newFake();
    faulty.manifests.set(missing, environmentError("the registry served sha256:0 for sha256:e"));
    faulty.listings.set(IMAGE, [tagIndex([missing])]);
    await expect(planReferrers(fakeStore(faulty), layoutOf([IMAGE]), "t")).rejects.toMatchObject({ exitCode: 4 });
  });

  test("a referrer blob named by a malformed digest: notSearched, not fetched, not echoed", async () => {
    const fake = newFake();
    const bytes = json({ schemaVersion: 2, config: { mediaType: "x", digest: "sha256:not-hex-SECRETISH", size: 2 }, layers: [] });
    fake.manifests.set(digestOf(bytes), bytes);
    fake.listings.set(IMAGE, [tagIndex([digestOf(bytes)])]);
    const plan = await planReferrers(fakeStore(fake), layoutOf([IMAGE]), "t");
    expect(plan.attestations).toEqual([]);
    expect(plan.notSearched).toEqual([{ path: `referrer ${digestOf(bytes)} (tag sha256-x)`, layer: null, reason: "a blob named by a malformed digest" }]);
  });

  test("a referrers tag holding one manifest, not an index: read as that tag's referrer", async () => {
    const fake = newFake();
    const a = artifact(fake, IMAGE);
    const bytes = fake.manifests.get(a) as Buffer;
    fake.listings.set(IMAGE, [{ kind: "index", via: "tag sha256-1", bytes, digest: a, incomplete: false }]);
    const plan = await planReferrers(fakeStore(fake), layoutOf([IMAGE]), "t");
    expect(plan.notSearched).toEqual([]);
    expect(plan.attestations).toEqual([expect.objectContaining({ referrer: { manifest: a, subject: IMAGE, via: "tag sha256-1" } })]);
  });

  test("a referrer that is an index: the manifests it lists are read as the same subject's referrers", async () => {
    const fake = newFake();
    const a = artifact(fake, IMAGE);
    const nested = json({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [{ mediaType: MANIFEST, digest: a, size: 1 }] });
    fake.manifests.set(digestOf(nested), nested);
    fake.listings.set(IMAGE, [{ kind: "manifest", via: "tag sha256-1.sig", digest: digestOf(nested), mediaType: undefined }]);
    const plan = await planReferrers(fakeStore(fake), layoutOf([IMAGE]), "t");
    expect(plan.attestations).toEqual([expect.objectContaining({ referrer: { manifest: a, subject: IMAGE, via: "tag sha256-1.sig" } })]);
  });
});
