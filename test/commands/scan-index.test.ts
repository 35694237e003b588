import { gzipSync } from "node:zlib";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { tarOf } from "../helpers/archives.js";
import { ociIndexArchive, provenance } from "../helpers/oci.js";
import { assertBuilt, runCli } from "./scan-cli-run.js";

// Multi-platform indexes, OCI annotations and BuildKit attestations (CONTRACT.md Additions):
// every platform by default, `image.platform` on each finding, `where: annotation|attestation`.
let dir: string;
const secret = `sbidx-${randomBytes(18).toString("base64url")}`;
const sha = createHash("sha256").update(secret).digest("hex");
const nearMiss = `${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`;
const env = { SB_IDX: secret };
const args = ["--secret", "tok=env:SB_IDX", "--format", "json"];

interface JsonFinding {
  readonly where: string;
  readonly path: string;
  readonly encoding: string;
  readonly layer: { readonly index: number } | null;
  readonly image?: { readonly index?: number; readonly platform?: string };
  readonly predicateType?: string;
}

const layer = async (files: Record<string, string>): Promise<Buffer> =>
  tarOf(Object.entries(files).map(([name, text]) => ({ name, data: Buffer.from(text) })));

async function archive(name: string, bytes: Buffer): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  return file;
}

async function scan(file: string, extra: readonly string[] = []): Promise<{ code: number | null; findings: JsonFinding[]; stderr: string }> {
  const run = await runCli(["scan", file, ...args, ...extra], { env, secrets: [secret, nearMiss] });
  expect(run.stderr).not.toMatch(/internal error/);
  expect(run.stdout + run.stderr).not.toContain(secret);
  return { code: run.code, findings: run.stdout === "" ? [] : (JSON.parse(run.stdout) as { findings: JsonFinding[] }).findings, stderr: run.stderr };
}

const amd64 = { os: "linux", architecture: "amd64" };
const arm64 = { os: "linux", architecture: "arm64", variant: "v8" };

beforeAll(async () => {
  assertBuilt();
  dir = await mkdtemp(path.join(os.tmpdir(), "sbtest-index-"));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe("a multi-platform index: every platform is scanned", () => {
  test("a leak only in the arm64 image is found by default, and names its platform", async () => {
    const file = await archive(
      "arm-leak.tar",
      await ociIndexArchive([
        { platform: amd64, layers: [await layer({ "app/config": "clean" })] },
        { platform: arm64, layers: [await layer({ "app/config": `token=${secret}\n` })] },
      ]),
    );
    const all = await scan(file);
    expect(all.code).toBe(1);
    expect(all.findings).toEqual([expect.objectContaining({ where: "file", path: "app/config", image: { index: 1, platform: "linux/arm64/v8" } })]);
    // --platform restricts, as docker's flag does.
    expect((await scan(file, ["--platform", "linux/amd64"])).code).toBe(0);
    expect((await scan(file, ["--platform", "linux/arm64"])).code).toBe(1);
  });

  test("an index listing a platform the source does not hold (an export of some platforms): the rest is scanned, the absent one not searched", async () => {
    const absentArm = { platform: arm64, layers: [await layer({ "app/config": "arm" })], absent: true };
    const leaky = await archive("partial-leak.tar", await ociIndexArchive([{ platform: amd64, layers: [await layer({ "app/.env": `API_KEY=${secret}\n` })] }, absentArm]));
    const run = await runCli(["scan", leaky, ...args], { env, secrets: [secret, nearMiss] });
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as { findings: JsonFinding[]; notSearched: { path: string; layer: null; reason: string }[] };
    expect(report.findings).toEqual([expect.objectContaining({ where: "file", path: "app/.env" })]);
    expect(report.notSearched).toEqual([
      { path: expect.stringMatching(/^blobs\/sha256\/[0-9a-f]{64}$/), layer: null, reason: expect.stringMatching(/^the index lists the linux\/arm64\/v8 image, but its image manifest sha256:[0-9a-f]{64} is missing .*: not searched$/) },
    ]);
    // nothing found and something not searched: INCOMPLETE, never a clean pass
    const clean = await archive("partial-clean.tar", await ociIndexArchive([{ platform: amd64, layers: [await layer({ "app/.env": "API_KEY=\n" })] }, absentArm]));
    const incomplete = await runCli(["scan", clean, ...args], { env, secrets: [secret, nearMiss] });
    expect(incomplete.code).toBe(2);
    expect(incomplete.stderr).toMatch(/INCOMPLETE/);
    // asked for by name, the absent platform is an error (nothing of what was asked for is there)
    const named = await runCli(["scan", clean, ...args, "--platform", "linux/arm64"], { env, secrets: [secret, nearMiss] });
    expect(named.code).toBe(2);
    expect(named.stderr).toMatch(/image manifest sha256:[0-9a-f]{64} is missing/);
  });

  test("clean look-alikes in every platform are not findings: a hash of the value, the value with one byte changed", async () => {
    const file = await archive(
      "look-alikes.tar",
      await ociIndexArchive(
        [
          { platform: amd64, layers: [await layer({ "app/sum": sha })], manifestAnnotations: { "org.example.sum": sha } },
          { platform: arm64, layers: [await layer({ "app/x": nearMiss })], attestations: [{ predicateType: "https://slsa.dev/provenance/v0.2", statement: provenance({ CACHE_BUST: nearMiss }) }] },
        ],
        { "org.example.half": secret.slice(0, secret.length / 2) },
      ),
    );
    const clean = await scan(file);
    expect(clean.findings).toEqual([]);
    expect(clean.code).toBe(0);
  });
});

describe("OCI annotations", () => {
  test("of the index (no image) and of a manifest (its platform)", async () => {
    const file = await archive(
      "annotations.tar",
      await ociIndexArchive(
        [
          { platform: amd64, layers: [await layer({ a: "clean" })] },
          { platform: arm64, layers: [await layer({ a: "clean" })], manifestAnnotations: { "org.example.build-token": Buffer.from(secret).toString("base64") } },
        ],
        { "org.opencontainers.image.description": `built with ${secret}` },
      ),
    );
    const { code, findings } = await scan(file);
    expect(code).toBe(1);
    expect(findings).toContainEqual(expect.objectContaining({ where: "annotation", path: "org.opencontainers.image.description", encoding: "raw", layer: null }));
    expect(findings.find((f) => f.path === "org.opencontainers.image.description")?.image).toBeUndefined();
    expect(findings).toContainEqual(
      expect.objectContaining({ where: "annotation", path: "org.example.build-token", encoding: "base64", image: { index: 1, platform: "linux/arm64/v8" } }),
    );
  });
});

describe("index and manifest documents: every field ships", () => {
  test("a value in a manifest's subject URL, a custom field, an index descriptor's urls: where manifest, the document and a JSON pointer", async () => {
    const file = await archive(
      "manifest-fields.tar",
      await ociIndexArchive([
        { platform: amd64, layers: [await layer({ a: "clean" })], descriptorFields: { urls: [`https://ci:${secret}@mirror.example.com/blob`] } },
        {
          platform: arm64,
          layers: [await layer({ a: "clean" })],
          manifestFields: { subject: { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: `sha256:${sha}`, size: 1 }, "x-build": { notes: [`token ${Buffer.from(secret).toString("base64")}`] } },
        },
      ]),
    );
    const { code, findings } = await scan(file);
    expect(code).toBe(1);
    expect(findings).toContainEqual(expect.objectContaining({ where: "manifest", path: "index.json#/manifests/0/urls/0", encoding: "raw", layer: null }));
    const custom = findings.find((f) => f.where === "manifest" && f.path.endsWith("#/x-build/notes/0"));
    expect(custom).toMatchObject({ encoding: "base64", image: { index: 1, platform: "linux/arm64/v8" } });
    expect(custom?.path).toMatch(/^blobs\/sha256\/[0-9a-f]{64}#\/x-build\/notes\/0$/);
    // the subject's digest is the value's sha256: a hash, not the value
    expect(findings.filter((f) => f.path.includes("subject"))).toEqual([]);
    expect(findings).toHaveLength(2);
  });

  test("an annotation the annotation list never held (an attestation layer's descriptor) is still found, once", async () => {
    const file = await archive(
      "attestation-descriptor.tar",
      await ociIndexArchive([{ platform: amd64, layers: [await layer({ a: "clean" })], manifestAnnotations: { "org.example.token": secret }, attestations: [{ predicateType: `https://example.com/${secret}`, statement: provenance({}) }] }]),
    );
    const { code, findings } = await scan(file);
    expect(code).toBe(1);
    expect(findings.filter((f) => f.where === "annotation" && f.path === "org.example.token")).toHaveLength(1);
    expect(findings).toContainEqual(expect.objectContaining({ where: "annotation", path: "in-toto.io/predicate-type" }));
  });

  test("clean look-alikes in the documents are not findings", async () => {
    const file = await archive(
      "manifest-look-alikes.tar",
      await ociIndexArchive([{ platform: amd64, layers: [await layer({ a: "clean" })], manifestFields: { "x-build": { sum: sha, near: nearMiss, half: secret.slice(0, secret.length / 2) } } }]),
    );
    expect((await scan(file)).findings).toEqual([]);
  });
});

describe("BuildKit attestations", () => {
  const predicateType = "https://slsa.dev/provenance/v0.2";

  test("a build argument recorded in provenance: where attestation, a JSON pointer, the predicate type", async () => {
    const file = await archive(
      "provenance.tar",
      await ociIndexArchive([{ platform: amd64, layers: [await layer({ a: "clean" })], attestations: [{ predicateType, statement: provenance({ NPM_TOKEN: secret, NODE_ENV: "production" }) }] }]),
    );
    const { code, findings } = await scan(file);
    expect(code).toBe(1);
    expect(findings).toEqual([
      expect.objectContaining({
        where: "attestation",
        path: "/predicate/invocation/parameters/args/build-arg:NPM_TOKEN",
        encoding: "raw",
        layer: null,
        predicateType,
        image: { platform: "linux/amd64" },
      }),
    ]);
  });

  test("the attestation of a platform --platform left out is not read; its own platform's is", async () => {
    const file = await archive(
      "two-attestations.tar",
      await ociIndexArchive([
        { platform: amd64, layers: [await layer({ a: "clean" })], attestations: [{ predicateType, statement: provenance({ TOKEN: secret }) }] },
        { platform: arm64, layers: [await layer({ a: "clean" })], attestations: [{ predicateType, statement: provenance({ OTHER: "nothing-secret-here" }) }] },
      ]),
    );
    expect((await scan(file, ["--platform", "linux/arm64"])).code).toBe(0);
    const amd = await scan(file, ["--platform", "linux/amd64"]);
    expect(amd.findings.map((f) => f.where)).toEqual(["attestation"]);
  });

  test.each([
    ["gzip", (b: Buffer) => gzipSync(b)],
    ["not JSON (a statement cut short)", (b: Buffer) => b.subarray(0, b.length - 3)],
  ])("an attestation layer stored %s: searched all the same, never a failed scan", async (_how, encode) => {
    const file = await archive(
      `attestation-${encode.length}-${_how.length}.tar`,
      await ociIndexArchive([{ platform: amd64, layers: [await layer({ a: "clean" })], attestations: [{ predicateType, statement: provenance({ NPM_TOKEN: secret }), encode }] }]),
    );
    const { code, findings } = await scan(file);
    expect(code).toBe(1);
    expect(findings).toEqual([expect.objectContaining({ where: "attestation", predicateType, image: { platform: "linux/amd64" } })]);
  });

  test("an attestation layer too large to read is not searched: never a clean exit", async () => {
    const file = await archive(
      "attestation-oversized.tar",
      await ociIndexArchive([
        { platform: amd64, layers: [await layer({ a: "clean" })], attestations: [{ predicateType, statement: provenance({ A: "x" }), encode: (b) => Buffer.concat([b, Buffer.alloc(17 * 1024 * 1024, 0x20)]) }] },
      ]),
    );
    const cli = await runCli(["scan", file, "--secret", "tok=env:SB_IDX", "--format", "json"], { env, secrets: [secret] });
    expect(cli.code).toBe(2);
    const report = JSON.parse(cli.stdout) as { notSearched: { reason: string; layer: unknown }[] };
    expect(report.notSearched).toEqual([expect.objectContaining({ layer: null, reason: expect.stringMatching(/^attestation layer not readable/) })]);
  });

  test("text and SARIF reports name the platform and the attestation", async () => {
    const file = await archive(
      "report-forms.tar",
      await ociIndexArchive([{ platform: arm64, layers: [await layer({ a: "clean" })], attestations: [{ predicateType, statement: provenance({ T: secret }) }] }]),
    );
    const text = await runCli(["scan", file, "--secret", "tok=env:SB_IDX"], { env, secrets: [secret] });
    expect(text.code).toBe(1);
    expect(text.stderr).toContain("in a build attestation: linux/arm64/v8, /predicate/invocation/parameters/args/build-arg:T");
    const sarif = await runCli(["scan", file, "--secret", "tok=env:SB_IDX", "--format", "sarif"], { env, secrets: [secret] });
    const result = (JSON.parse(sarif.stdout) as { runs: { results: { ruleId: string; properties: Record<string, unknown> }[] }[] }).runs[0]?.results[0];
    expect(result?.ruleId).toBe("secret-in-attestation");
    expect(result?.properties).toMatchObject({ platform: "linux/arm64/v8", predicateType });
  });
});
