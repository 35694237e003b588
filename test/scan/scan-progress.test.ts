import { statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { scanImage } from "../../src/scan/scan-image.js";
import type { ScanProgress } from "../../src/scan/scan-progress.js";
import { TOKEN } from "./fixture-expectations.js";
import { fixtures, secret } from "./helpers.js";

// What each source tells the progress indicator: the total it knows, each layer, the bytes.
function recorder(): ScanProgress & { totals: { bytes?: number | undefined; layers?: number | undefined }[]; layers: number; last: number } {
  const seen = {
    totals: [] as { bytes?: number | undefined; layers?: number | undefined }[],
    layers: 0,
    last: 0,
    expect: (total: { bytes?: number | undefined; layers?: number | undefined }) => void seen.totals.push({ bytes: total.bytes, layers: total.layers }),
    layer: () => void (seen.layers += 1),
    read: (n: number) => void (seen.last = n),
  };
  return seen;
}

describe("scan progress by source", () => {
  const secrets = [secret("tok", TOKEN)];

  test("an archive file: its size up front, each layer as it starts, every byte read by the end", async () => {
    const progress = recorder();
    const result = await scanImage({ ref: "leaky.docker.tar", secrets, env: {}, cwd: fixtures, progress });
    const size = statSync(join(fixtures, "leaky.docker.tar")).size;
    expect(progress.totals).toEqual([{ bytes: size, layers: undefined }]);
    expect(progress.layers).toBe(result.stats.layers);
    expect(progress.last).toBe(size);
  });

  test("an OCI layout directory: the layers' sizes and count before reading, and the bytes of each layer", async () => {
    const progress = recorder();
    const result = await scanImage({ ref: "leaky.oci", secrets, env: {}, cwd: fixtures, progress });
    expect(progress.totals).toHaveLength(1);
    expect(progress.totals[0]?.layers).toBe(result.stats.layers);
    expect(progress.layers).toBe(result.stats.layers);
    expect(progress.totals[0]?.bytes).toBeGreaterThan(0);
    expect(progress.last).toBe(progress.totals[0]?.bytes);
  });
});
