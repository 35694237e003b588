import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { scanImage } from "../../../src/scan/scan-image.js";
import { secret } from "../helpers.js";

const work = mkdtempSync(join(tmpdir(), "sbtest-index-cycle-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("an image index that points at itself", () => {
  test("is an input error (exit 2) naming it, not a walk until the depth limit", async () => {
    // a layout does not prove nested index digests (a registry does): a file can name itself
    const digest = `sha256:${"c".repeat(64)}`;
    const type = "application/vnd.oci.image.index.v1+json";
    const self = { schemaVersion: 2, mediaType: type, manifests: [{ mediaType: type, digest, size: 1 }] };
    mkdirSync(join(work, "blobs", "sha256"), { recursive: true });
    writeFileSync(join(work, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
    writeFileSync(join(work, "index.json"), JSON.stringify(self));
    writeFileSync(join(work, "blobs", "sha256", "c".repeat(64)), JSON.stringify(self));
    await expect(scanImage({ ref: `oci:${work}`, secrets: [secret("s", "sbtest-cycle-value")], env: {}, cwd: work })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining(`image index ${digest} points at itself`),
    });
  });
});
