import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { tarOf as tarOfEntries } from "../helpers/archives.js";
import { Backlog } from "../../src/bytes/backlog.js";
import type { ContentBudget } from "../../src/scan/content/limits.js";
import type { NeedleTable } from "../../src/scan/findings/needles.js";
import { startLayerScan, type LayerScan } from "../../src/scan/layer/layer-scan.js";
import { SecretValue } from "../../src/secrets/secret-value.js";
import type { ResolvedSecret } from "../../src/secrets/secret.js";

export const repoRoot = resolve(import.meta.dirname, "../..");
export const fixtures = resolve(repoRoot, "test/fixtures/images");
export { peerImagesDir as peerImages } from "../helpers/peer-cases.js";

export function secret(id: string, value: string | Buffer): ResolvedSecret {
  return { id, kind: "env", value: SecretValue.copyOf(typeof value === "string" ? Buffer.from(value) : value) };
}

/** A tar of `files` (name, content), in order. */
export const tarOf = (files: ReadonlyArray<readonly [string, Buffer]>): Promise<Buffer> => tarOfEntries(files.map(([name, data]) => ({ name, data })));

/** Incompressible text without "sbtest" in it, so a gzip of it is about as big and holds no test value. */
export const noise = (bytes: number): Buffer => Buffer.from(randomBytes(bytes).toString("base64").replace(/sbtest/g, "xxxxxx"));

/** A layer scanned in `chunk`-sized writes, as a stream hands it over. */
export async function scanLayerInChunks(needles: NeedleTable, layer: Buffer, chunk = 64 * 1024, budget?: ContentBudget): Promise<LayerScan> {
  const backlog = new Backlog();
  const scanner = startLayerScan({ needles, budget }, backlog);
  for (let at = 0; at < layer.length; at += chunk) {
    scanner.sink.write(Buffer.from(layer.subarray(at, at + chunk)));
    await backlog.settle();
  }
  scanner.sink.end();
  await backlog.settle();
  return await scanner.finish();
}

/** `container:path-with-chain` of every content hit. */
export const contentHits = (result: LayerScan): string[] => result.hits.filter((h) => h.where === "file").map((h) => `${h.container ?? "-"}:${h.path}${h.inner}`).sort();
