import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { sha256Digest } from "../helpers/archives.js";
import { runCli } from "../helpers/cli.js";
import { provenance } from "../helpers/oci.js";
import { registryAvailable, startRegistry, type RegistryServer } from "../helpers/registry.js";
import { DSSE, cosignAttestation, dsseEnvelope, ociArtifact, platformIndex, push, referrersIndex, tagFor, tinyImage } from "../helpers/referrer-artifacts.js";
import { checksummed } from "../rules/tokens.js";
import { recordingProxy } from "./recording-proxy.js";
import { referrersApi, type ReferrersApi } from "./referrers-api.js";

// Artifacts attached to an image outside it (cosign's tags, the referrers tag schema, the
// referrers API), pushed with skopeo to the real distribution registry 2.8 and scanned through
// the real CLI. 2.8 has no referrers API: a pass-through stand-in adds it for its one test.
function skopeoAvailable(): boolean {
  const ok = spawnSync("skopeo", ["--version"]).status === 0;
  if (!ok && process.env["CI"] === "true") throw new Error("CI=true but skopeo does not run: run bash scripts/ci-deps.sh");
  return ok;
}

const up = registryAvailable() && skopeoAvailable();
const run = Math.random().toString(36).slice(2, 8);
const work = mkdtempSync(join(tmpdir(), "sbtest-referrers-"));
const value = `sbrefitg-${randomBytes(18).toString("base64url")}`;
const env = { SB_VALUE: value, DOCKER_CONFIG: join(work, "docker"), REGISTRY_AUTH_FILE: join(work, "none.json") };
const SLSA = "https://slsa.dev/provenance/v0.2";
const BUILD_ARG = "/predicate/invocation/parameters/args/build-arg:TOKEN";

interface Finding {
  readonly where: string;
  readonly path: string;
  readonly encoding: string;
  readonly predicateType?: string;
  readonly image?: { readonly index?: number; readonly platform?: string };
  readonly referrer?: { readonly manifest: string; readonly subject: string; readonly via: string };
}
interface Report {
  readonly findings: Finding[];
  readonly notSearched: { path: string; reason: string }[];
}

async function scan(ref: string, format = "json"): Promise<{ code: number | null; report: Report; stdout: string; stderr: string }> {
  const result = await runCli(["scan", "--secret", "tok=env:SB_VALUE", "--no-rules", "--format", format, `registry:${ref}`], { env, secrets: [value], timeoutMs: 120_000 });
  const stdout = result.stdout.toString();
  const stderr = result.stderr.toString();
  expect(stderr).not.toMatch(/internal error/);
  const report = format === "json" && stdout !== "" ? (JSON.parse(stdout) as Report) : { findings: [], notSearched: [] };
  return { code: result.code, report, stdout, stderr };
}

describe.skipIf(!up)("scan registry: artifacts attached outside the image", () => {
  let registry: RegistryServer;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry?.stop();
    rmSync(work, { recursive: true, force: true });
  });
  const repo = (name: string): string => `${registry.host}/referrers/${name}-${run}`;

  test("a cosign .att whose provenance records the secret as a build arg: found in the DSSE statement, exit 1", async () => {
    const image = await tinyImage("clean");
    await push(image, `${repo("cosign")}:1`);
    const att = cosignAttestation([{ predicateType: SLSA, statement: provenance({ TOKEN: value }) }]);
    await push(att, `${repo("cosign")}:${tagFor(image.digest, ".att")}`);
    // a signature beside it, read and clean
    await push(cosignAttestation([{ predicateType: "cosign/sign", statement: { critical: { type: "cosign container image signature" } } }]), `${repo("cosign")}:${tagFor(image.digest, ".sig")}`);

    const { code, report, stderr } = await scan(`${repo("cosign")}:1`);
    expect(code, stderr).toBe(1);
    expect(report.findings).toEqual([
      expect.objectContaining({ where: "attestation", path: BUILD_ARG, encoding: "raw", predicateType: SLSA, referrer: { manifest: att.digest, subject: image.digest, via: `tag ${tagFor(image.digest, ".att")}` } }),
    ]);
    expect(report.notSearched).toEqual([]);
    expect(stderr).toMatch(/LEAK: .*attestation \/predicate\/invocation/);

    const text = await scan(`${repo("cosign")}:1`, "text");
    expect(text.stderr).toContain(`referrer ${att.digest.slice(0, 19)} of ${image.digest.slice(0, 19)} (tag ${tagFor(image.digest, ".att")})`);
    const sarif = await scan(`${repo("cosign")}:1`, "sarif");
    const result = (JSON.parse(sarif.stdout) as { runs: { results: { properties: Finding }[] }[] }).runs[0]?.results[0];
    expect(result?.properties.referrer?.manifest).toBe(att.digest);
  });

  test("with no secret given, the built-in pattern rules search a cosign .att statement too", async () => {
    const image = await tinyImage("clean");
    await push(image, `${repo("rules")}:1`);
    const ghToken = checksummed("ghp_");
    await push(cosignAttestation([{ predicateType: SLSA, statement: provenance({ GH_TOKEN: ghToken }) }]), `${repo("rules")}:${tagFor(image.digest, ".att")}`);
    const result = await runCli(["scan", "--format", "json", `registry:${repo("rules")}:1`], { env, secrets: [ghToken], timeoutMs: 120_000 });
    expect(result.code, result.stderr.toString()).toBe(1);
    expect((JSON.parse(result.stdout.toString()) as Report).findings).toEqual([
      expect.objectContaining({ secret: null, rule: "github-token", where: "attestation", path: "/predicate/invocation/parameters/args/build-arg:GH_TOKEN", referrer: expect.objectContaining({ via: `tag ${tagFor(image.digest, ".att")}` }) }),
    ]);
  });

  test("the referrers tag schema on a multi-platform index: an artifact of the arm64 image and an SBOM of the index", async () => {
    const amd = await tinyImage("amd");
    const arm = await tinyImage("arm");
    const index = platformIndex([
      { platform: { os: "linux", architecture: "amd64" }, image: amd },
      { platform: { os: "linux", architecture: "arm64" }, image: arm },
    ]);
    await push(index, `${repo("multi")}:1`);
    const provenanceArtifact = ociArtifact(arm, "application/vnd.in-toto+json", [{ mediaType: DSSE, bytes: dsseEnvelope(provenance({ TOKEN: value })) }]);
    await push(referrersIndex([provenanceArtifact]), `${repo("multi")}:${tagFor(arm.digest)}`);
    const sbom = Buffer.from(JSON.stringify({ spdxVersion: "SPDX-2.3", packages: [{ name: "app", comment: Buffer.from(value).toString("base64") }] }));
    const sbomArtifact = ociArtifact(index, "application/spdx+json", [{ mediaType: "application/spdx+json", bytes: sbom }]);
    await push(referrersIndex([sbomArtifact]), `${repo("multi")}:${tagFor(index.digest)}`);

    const { code, report, stderr } = await scan(`${repo("multi")}:1`);
    expect(code, stderr).toBe(1);
    expect(report.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ where: "attestation", path: BUILD_ARG, image: { index: 1, platform: "linux/arm64" }, referrer: { manifest: provenanceArtifact.digest, subject: arm.digest, via: `tag ${tagFor(arm.digest)}` } }),
        expect.objectContaining({ where: "attestation", path: "/packages/0/comment", encoding: "base64", referrer: { manifest: sbomArtifact.digest, subject: index.digest, via: `tag ${tagFor(index.digest)}` } }),
      ]),
    );
    expect(report.findings).toHaveLength(2);
    expect(report.findings.find((f) => f.referrer?.subject === index.digest)?.image).toBeUndefined();
  });

  test("an index that lists an attestation artifact beside its platform image (no tag, no API): found through the index", async () => {
    const image = await tinyImage("clean");
    const att = ociArtifact(image, "application/vnd.in-toto+json", [{ mediaType: DSSE, bytes: dsseEnvelope(provenance({ TOKEN: value })), annotations: { predicateType: SLSA } }]);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.index.v1+json",
        manifests: [
          { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: image.digest, size: image.manifest.length, platform: { os: "linux", architecture: "amd64" } },
          { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: att.digest, size: att.manifest.length, artifactType: "application/vnd.in-toto+json" },
        ],
      }),
    );
    await push({ manifest, digest: sha256Digest(manifest), blobs: [], children: [image, att] }, `${repo("listed")}:1`);

    const { code, report, stderr } = await scan(`${repo("listed")}:1`);
    expect(code, stderr).toBe(1);
    expect(report.findings).toEqual([expect.objectContaining({ where: "attestation", path: BUILD_ARG, referrer: { manifest: att.digest, subject: image.digest, via: "subject" } })]);
    expect(report.notSearched).toEqual([]);
  });

  test("clean referrers (a provenance without secrets, a referrer listing its own subject back): each read once, exit 0, nothing left unsearched", async () => {
    const image = await tinyImage("clean");
    await push(image, `${repo("clean")}:1`);
    const att = cosignAttestation([{ predicateType: SLSA, statement: provenance({ VERSION: "1.2.3" }) }]);
    await push(att, `${repo("clean")}:${tagFor(image.digest, ".att")}`);
    const note = Buffer.from("nothing here");
    const artifact = ociArtifact(image, "application/vnd.example", [{ mediaType: "text/plain", bytes: note }]);
    await push(referrersIndex([artifact], [{ mediaType: "application/vnd.oci.image.manifest.v1+json", digest: image.digest, size: image.manifest.length }]), `${repo("clean")}:${tagFor(image.digest)}`);
    // the artifact's own referrers list the image again: read once
    await push(referrersIndex([image]), `${repo("clean")}:${tagFor(artifact.digest)}`);

    const proxy = await recordingProxy(registry.host);
    try {
      const { code, report, stderr } = await scan(`${proxy.host}/referrers/clean-${run}:1`);
      expect(code, stderr).toBe(0);
      expect(report.findings).toEqual([]);
      expect(report.notSearched).toEqual([]);
      expect(stderr).toMatch(/OK: 1 secret checked/);
      // clean because they were read, not because they were not looked for
      const got = (path: string): number => proxy.requests.filter((r) => r.startsWith(`GET /v2/referrers/clean-${run}/${path} 200`)).length;
      expect(got(`manifests/${tagFor(image.digest, ".att")}`)).toBe(1);
      expect(got(`blobs/${JSON.parse(att.manifest.toString()).layers[0].digest}`)).toBe(1);
      expect(got(`manifests/${artifact.digest}`)).toBe(1);
      expect(got(`blobs/${sha256Digest(note)}`)).toBe(1);
      expect(got(`manifests/${image.digest}`)).toBe(0);
    } finally {
      await proxy.close();
    }
  });

  test("an image with no referrers (the registry has no referrers API, no tags): looked up, then scanned as before", async () => {
    const image = await tinyImage(`token=${value}`);
    await push(image, `${repo("plain")}:1`);
    const proxy = await recordingProxy(registry.host);
    try {
      const { code, report } = await scan(`${proxy.host}/referrers/plain-${run}:1`);
      expect(code).toBe(1);
      expect(report.findings).toEqual([expect.objectContaining({ where: "file", path: "app/config" })]);
      expect(report.findings[0]?.referrer).toBeUndefined();
      expect(report.notSearched).toEqual([]);
      const base = `/v2/referrers/plain-${run}`;
      expect(proxy.requests).toEqual(
        expect.arrayContaining([
          `GET ${base}/referrers/${image.digest} 404`,
          ...["", ".att", ".sig", ".sbom"].map((suffix) => `HEAD ${base}/manifests/${tagFor(image.digest, suffix)} 404`),
        ]),
      );
    } finally {
      await proxy.close();
    }
  });

  test("a referrer blob over 16 MiB is not fetched: notSearched, never a clean exit", async () => {
    const image = await tinyImage("clean");
    await push(image, `${repo("huge")}:1`);
    const huge = ociArtifact(image, "application/vnd.example", [{ mediaType: "application/octet-stream", bytes: Buffer.alloc(16 * 1024 * 1024 + 1, 0x61) }]);
    await push(referrersIndex([huge]), `${repo("huge")}:${tagFor(image.digest)}`);
    const { code, report, stderr } = await scan(`${repo("huge")}:1`);
    expect(code, stderr).toBe(2);
    expect(report.notSearched).toEqual([expect.objectContaining({ reason: expect.stringMatching(/referrer blob over 16777216 bytes/) })]);
  });

  describe("the referrers API (a stand-in adds it in front of the real registry)", () => {
    let api: ReferrersApi;
    beforeAll(async () => {
      api = await referrersApi(registry.host);
    });
    afterAll(async () => {
      await api?.close();
    });

    test("every page is read; a secret in a referrer's annotation is found, named by the referrer", async () => {
      const image = await tinyImage("clean");
      const name = `referrers/api-${run}`;
      await push(image, `${registry.host}/${name}:1`);
      const first = ociArtifact(image, "application/vnd.example", [{ mediaType: "text/plain", bytes: Buffer.from("nothing") }]);
      const second = ociArtifact(image, "application/vnd.example.notes", [{ mediaType: "text/plain", bytes: Buffer.from("notes"), annotations: { "org.example.note": `deployed with ${value}` } }]);
      await push(referrersIndex([first, second]), `${registry.host}/${name}:api-${tagFor(image.digest)}`);

      const { code, report, stderr } = await scan(`${api.host}/${name}:1`);
      expect(code, stderr).toBe(1);
      expect(report.findings).toEqual([expect.objectContaining({ where: "annotation", path: "org.example.note", referrer: { manifest: second.digest, subject: image.digest, via: "referrers API" } })]);
      // the image's pages in order; then the referrers' own referrers, looked up together
      expect(api.asked.slice(0, 2)).toEqual([`/v2/${name}/referrers/${image.digest}`, `/v2/${name}/referrers/${image.digest}?page=1`]);
      expect(api.asked.slice(2).sort()).toEqual([`/v2/${name}/referrers/${first.digest}`, `/v2/${name}/referrers/${second.digest}`].sort());
    });
  });
});
