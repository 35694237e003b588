import { describe, expect, test } from "vitest";
import { scanMetadata } from "../../../src/scan/findings/metadata-scan.js";
import { buildNeedles } from "../../../src/scan/findings/needles.js";
import type { ImagePlan, LayoutPlan } from "../../../src/scan/layout/plan-images.js";
import type { BlobStore } from "../../../src/scan/source/blob-store.js";
import { secret } from "../helpers.js";

// The referrers' documents, annotations and blobs as the metadata search reports them: each
// finding names its referrer, and the same leak in two referrers is two findings.

const value = "sbtest-meta-Qw8rT2yU";
const needles = buildNeedles([secret("tok", value)]);
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
const A = { manifest: `sha256:${"a".repeat(64)}`, subject: `sha256:${"1".repeat(64)}`, via: "tag sha256-1.att" };
const B = { ...A, manifest: `sha256:${"b".repeat(64)}`, via: "referrers API" };

const storeOf = (blobs: Record<string, Buffer>): BlobStore => ({ json: async (path) => blobs[path], layer: () => Promise.reject(new Error("no layers")) });
const images = [{ platform: "linux/amd64" }, { platform: "linux/arm64" }] as ImagePlan[];

describe("referrers in the metadata search", () => {
  test("a DSSE statement's own predicateType wins over the layer's annotation; the finding names the referrer and the platform", async () => {
    const envelope = json({ payloadType: "application/vnd.in-toto+json", payload: json({ predicateType: "https://slsa.dev/provenance/v1", predicate: { args: { TOKEN: value } } }).toString("base64"), signatures: [] });
    const plan: LayoutPlan = { images, missing: [], annotations: [], documents: [], attestations: [{ path: "blobs/sha256/x", predicateType: "https://example.com/copied", image: 1, referrer: A }] };
    const findings = await scanMetadata(plan, storeOf({ "blobs/sha256/x": envelope }), needles, "t", []);
    expect(findings).toEqual([expect.objectContaining({ where: "attestation", path: "/predicate/args/TOKEN", predicateType: "https://slsa.dev/provenance/v1", image: 1, platform: "linux/arm64", referrer: A })]);
  });

  test("the same annotation in two referrers: two findings, one each; the image's own stays apart", async () => {
    const annotation = { key: "org.example.note", value: `uses ${value}` };
    const plan: LayoutPlan = {
      images,
      missing: [],
      attestations: [],
      documents: [],
      annotations: [
        { ...annotation, image: undefined, referrer: A },
        { ...annotation, image: undefined, referrer: B },
        { ...annotation, image: undefined, referrer: A },
        { ...annotation, image: undefined },
      ],
    };
    const findings = await scanMetadata(plan, storeOf({}), needles, "t", []);
    expect(findings.map((f) => f.referrer?.via ?? "own")).toEqual(["tag sha256-1.att", "referrers API", "own"]);
  });

  test("a referrer blob nested past the JSON depth: notSearched for it alone, the search goes on", async () => {
    let deep: unknown = value;
    for (let i = 0; i < 80; i++) deep = [deep];
    const notSearched: unknown[] = [];
    const plan: LayoutPlan = {
      images,
      missing: [],
      annotations: [],
      documents: [],
      attestations: [
        { path: "blobs/sha256/deep", predicateType: undefined, image: 0, referrer: A },
        { path: "blobs/sha256/ok", predicateType: undefined, image: 0, referrer: B },
      ],
    };
    const findings = await scanMetadata(plan, storeOf({ "blobs/sha256/deep": json(deep), "blobs/sha256/ok": json({ k: value }) }), needles, "t", [], notSearched as never[]);
    expect(findings).toEqual([expect.objectContaining({ path: "/k", referrer: B })]);
    expect(notSearched).toEqual([expect.objectContaining({ path: "blobs/sha256/deep", reason: expect.stringMatching(/^referrer blob \(tag sha256-1\.att\): .*nested too deeply/) })]);
  });
});
