import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { tarOf } from "../../helpers/archives.js";
import { runCli } from "../../helpers/cli.js";
import { ociIndexArchive, provenance } from "../../helpers/oci.js";

// Docker 25+ `docker save` (the containerd image store) writes docker's manifest.json and an
// OCI index.json side by side; the index keeps what manifest.json cannot say: BuildKit's
// attestation manifests (a provenance records build arguments) and the other platforms.

const work = mkdtempSync(join(tmpdir(), "sbtest-docker25-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const value = `sbd25-${randomBytes(18).toString("base64url")}`;
const SLSA = "https://slsa.dev/provenance/v0.2";
const amd64 = { os: "linux", architecture: "amd64" };
const arm64 = { os: "linux", architecture: "arm64" };

interface Report {
  readonly findings: { where: string; path: string; image?: { index?: number; platform?: string } }[];
  readonly notSearched: unknown[];
}

async function scan(archive: Buffer, name: string): Promise<{ code: number | null; report: Report; stderr: string }> {
  const file = join(work, `${name}.tar`);
  writeFileSync(file, archive);
  const result = await runCli(["scan", "--secret", "tok=env:SB_VALUE", "--no-rules", "--format", "json", file], { env: { SB_VALUE: value }, secrets: [value] });
  const stderr = result.stderr.toString();
  expect(stderr).not.toMatch(/internal error/);
  const stdout = result.stdout.toString();
  return { code: result.code, report: stdout === "" ? { findings: [], notSearched: [] } : (JSON.parse(stdout) as Report), stderr };
}

const layer = (path: string, text: string): Promise<Buffer> => tarOf([{ name: path, data: Buffer.from(text) }]);

describe("a Docker 25+ archive: the index.json beside manifest.json is read too", () => {
  test("the build arg in the image's provenance attestation is found, named with the image and its platform", async () => {
    const archive = await ociIndexArchive([{ platform: amd64, layers: [await layer("app/a", "clean")], attestations: [{ predicateType: SLSA, statement: provenance({ TOKEN: value }) }] }], {}, { dockerManifest: [0] });
    const { code, report, stderr } = await scan(archive, "provenance");
    expect(code, stderr).toBe(1);
    expect(report.findings).toEqual([expect.objectContaining({ where: "attestation", path: "/predicate/invocation/parameters/args/build-arg:TOKEN", image: expect.objectContaining({ platform: "linux/amd64" }) })]);
    expect(report.notSearched).toEqual([]);
  });

  test("an image the index lists and the archive holds but manifest.json leaves out is scanned; one both list is scanned once", async () => {
    const archive = await ociIndexArchive(
      [
        { platform: amd64, layers: [await layer("app/a", value)] },
        { platform: arm64, layers: [await layer("app/b", value)] },
      ],
      {},
      { dockerManifest: [0] },
    );
    const { code, report, stderr } = await scan(archive, "platforms");
    expect(code, stderr).toBe(1);
    expect(report.findings.map((f) => `${f.path} ${f.image?.platform}`).sort()).toEqual(["app/a linux/amd64", "app/b linux/arm64"]);
  });

  test("a platform the index lists but the archive never held (docker save of one pulled platform): clean, nothing unsearched", async () => {
    const archive = await ociIndexArchive(
      [
        { platform: amd64, layers: [await layer("app/a", "clean")] },
        { platform: arm64, layers: [await layer("app/b", "clean")], absent: true },
      ],
      {},
      { dockerManifest: [0] },
    );
    const { code, report, stderr } = await scan(archive, "absent");
    expect(code, stderr).toBe(0);
    expect(report.notSearched).toEqual([]);
  });
});
