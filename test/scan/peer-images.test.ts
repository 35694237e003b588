import { describe, expect, test } from "vitest";
import { scanImage } from "../../src/scan/scan-image.js";
import { loadPeerCases, peerSuitesRun, type PeerCase } from "../helpers/peer-cases.js";
import { peerImages, secret } from "./helpers.js";

type Case = PeerCase;
const runs = peerSuitesRun("peer-images");
const cases: Case[] = runs ? loadPeerCases() : [];
const loadable = cases.filter((c) => c.expect === undefined);
const invalid = cases.filter((c) => c.expect !== undefined);

/** Multi-platform indexes are scanned whole here; one platform is the default elsewhere. */
const scan = (c: Case, secrets: ReturnType<typeof secret>[]) =>
  scanImage({ ref: c.file, secrets, env: {}, cwd: peerImages, platform: c.multiImage ? "all" : undefined });

describe.skipIf(!runs)("peer images", () => {
  test("the peer image set is present", () => {
    expect(cases.length).toBeGreaterThan(10);
  });

  test.each(loadable.map((c) => [c.file, c] as const))("%s: every needle where the facts say", async (_file, c) => {
    const needles = c.needles ?? [];
    const result = await scan(c, needles.map((n, i) => secret(`n${i}`, n.value)));
    needles.forEach((needle, i) => {
      const got = result.findings
        .filter((f) => f.secret === `n${i}`)
        .map((f) => ({ where: f.where, layerIndex: f.layer?.index ?? null, path: f.path, deleted: f.deleted, image: f.image ?? 0 }));
      for (const o of needle.occurrences ?? [needle]) {
        expect(got).toContainEqual({
          where: o.where,
          layerIndex: o.layerIndex,
          path: o.path,
          deleted: o.deleted ?? false,
          image: o.image ?? needle.image ?? 0,
        });
      }
    });
  });

  test.each(loadable.map((c) => [c.file, c] as const))("%s: clean values are not found", async (_file, c) => {
    const result = await scan(c, (c.clean ?? []).map((v, i) => secret(`c${i}`, v)));
    expect(result.findings).toEqual([]);
  });

  test.each(invalid.map((c) => [c.file] as const))("%s: an input error (exit 2)", async (file) => {
    await expect(scanImage({ ref: file, secrets: [secret("x", "safebuild-x-value")], env: {}, cwd: peerImages })).rejects.toMatchObject({
      kind: "input",
      exitCode: 2,
    });
  });

  test("a multi-platform index scans the host platform by default, and says so", async () => {
    const result = await scanImage({
      ref: "hello-oci-multiplatform-gzip.tar",
      secrets: [secret("amd", "Hello foo from linux/amd64"), secret("arm", "Hello foo from linux/arm64")],
      env: {},
      cwd: peerImages,
      platform: "linux/arm64",
    });
    expect(result.findings.map((f) => f.secret)).toEqual(["arm"]);
  });

  test("test_bundle.tar: both images are scanned, findings carry the image index", async () => {
    const result = await scanImage({ ref: "test_bundle.tar", secrets: [secret("b", "bazel build ...")], env: {}, cwd: peerImages });
    expect(result.findings.map((f) => f.image).sort()).toEqual([0, 1]);
    expect(result.warnings.join("\n")).toContain("2 images");
  });
});
