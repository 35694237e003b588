import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { readOciResult } from "../../src/push/oci-result.js";

const work = mkdtempSync(join(tmpdir(), "sbtest-oci-result-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const INDEX = "application/vnd.oci.image.index.v1+json";
const CONFIG = `sha256:${"c0".repeat(32)}`;

/** A layout whose index.json holds `entries`, with `blob` stored under its digest. */
function layout(name: string, entries: (blobDigest: string, size: number) => unknown[], blob = JSON.stringify({ config: { digest: CONFIG } })): string {
  const dir = join(work, name);
  mkdirSync(join(dir, "blobs/sha256"), { recursive: true });
  const digest = `sha256:${createHash("sha256").update(blob).digest("hex")}`;
  writeFileSync(join(dir, "blobs/sha256", digest.slice(7)), blob);
  writeFileSync(join(dir, "index.json"), JSON.stringify({ schemaVersion: 2, manifests: entries(digest, blob.length) }));
  return dir;
}

describe("the result buildx's oci exporter wrote", () => {
  test("one image: its descriptor and its config digest", async () => {
    const dir = layout("one", (digest, size) => [{ mediaType: MANIFEST, digest, size }]);
    const result = await readOciResult(dir);
    expect(result).toEqual({ descriptor: { mediaType: MANIFEST, digest: expect.stringMatching(/^sha256:/), size: expect.any(Number) }, configDigest: CONFIG });
  });

  test("an index (several platforms): no single config", async () => {
    const dir = layout("index", (digest, size) => [{ mediaType: INDEX, digest, size }]);
    expect((await readOciResult(dir)).configDigest).toBeUndefined();
  });

  test.each([
    ["two entries", (d: string, s: number) => [{ mediaType: MANIFEST, digest: d, size: s }, { mediaType: MANIFEST, digest: d, size: s }], /holds 2 images, expected one/],
    ["none", () => [], /holds 0 images, expected one/],
    ["a digest that is no sha256", (_d: string, s: number) => [{ mediaType: MANIFEST, digest: "sha256:../../etc/passwd", size: s }], /malformed index\.json entry/],
  ])("%s: exit 2, one line", async (name, entries, message) => {
    await expect(readOciResult(layout(name.replace(/ /g, "-"), entries))).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(message) });
  });

  test("no index.json: exit 2", async () => {
    await expect(readOciResult(join(work, "absent"))).rejects.toMatchObject({ exitCode: 2, message: "the builder's OCI layout has no index.json" });
  });
});
