import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { scanImage } from "../../src/scan/scan-image.js";
import { expectLeaky, NEAR, TOKEN } from "./fixture-expectations.js";
import { fixtures, secret } from "./helpers.js";

/** Every format of scripts/make-fixtures.sh, with and without an explicit kind prefix. */
const formats = [
  ["docker-archive (classic)", "docker.tar"],
  ["docker-archive, outer gzip", "docker.tar.gz"],
  ["docker-archive (Docker 25+ OCI inside)", "docker25.tar"],
  ["OCI layout directory", "oci"],
  ["OCI layout tar, uncompressed layers", "oci.tar"],
  ["OCI layout tar, gzip layers", "oci-gzip.tar"],
  ["OCI layout tar, zstd layers", "oci-zstd.tar"],
] as const;
const prefixed = [
  ["docker-archive:", "docker.tar"],
  ["oci:", "oci"],
  ["oci-archive:", "oci-zstd.tar"],
] as const;

const scan = (ref: string, secrets = [secret("token", `${TOKEN}\n`)]) =>
  scanImage({ ref, secrets, env: {}, cwd: fixtures });

describe("every image source finds the same leaks", () => {
  test("the fixture set is complete", () => {
    const names = readdirSync(fixtures);
    for (const [, suffix] of formats) expect(names).toContain(`leaky.${suffix}`);
  });

  test.each(formats)("%s", async (_name, suffix) => {
    const result = await scan(`leaky.${suffix}`);
    expectLeaky(result, "token");
    expect(result.stats.layers).toBe(10);
    expect(result.stats.bytes).toBeGreaterThan(65536);
    expect(result.warnings).toEqual([]);
  });

  test.each([
    // a docker-archive's layer.tar is the uncompressed tar: its digest is the diff_id
    ["leaky.docker.tar", true],
    ["leaky.oci.tar", true],
    // a compressed OCI blob has its own digest; diffId stays the uncompressed tar's
    ["leaky.oci-gzip.tar", false],
    ["leaky.oci-zstd.tar", false],
  ] as const)("%s: layer digest and diffId, the same only for uncompressed blobs (%s)", async (file, same) => {
    const result = await scan(file);
    const layers = result.findings.flatMap((f) => (f.layer === null ? [] : [f.layer]));
    expect(layers.length).toBeGreaterThan(0);
    for (const layer of layers) {
      expect(layer.diffId).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(layer.digest === layer.diffId).toBe(same);
    }
  });

  test.each(prefixed)("prefix %s forces the kind", async (prefix, suffix) => {
    expectLeaky(await scan(`${prefix}leaky.${suffix}`), "token");
  });

  test.each(formats)("clean image with two secrets and a near miss: %s", async (_name, suffix) => {
    const result = await scan(`clean.${suffix}`, [secret("token", TOKEN), secret("other", "sbfixture-second-91c4e2a07b3d")]);
    expect(result.findings).toEqual([]);
    expect(result.stats.layers).toBe(2);
  });

  test("the near miss is really in the clean image", async () => {
    const result = await scan("clean.docker.tar", [secret("near", NEAR)]);
    expect(result.findings.map((f) => f.path)).toContain("app/near.txt");
  });
});

describe("absolute paths and copies", () => {
  const dir = mkdtempSync(join(tmpdir(), "sbtest-scan-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  test("an absolute path to a copy of the OCI directory", async () => {
    cpSync(join(fixtures, "leaky.oci"), join(dir, "copy"), { recursive: true });
    expectLeaky(await scan(join(dir, "copy")), "token");
  });
});
