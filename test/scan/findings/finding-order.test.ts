import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import { assembleFindings, assembleNotSearched, type ScannedImage } from "../../../src/scan/findings/assemble.js";
import { buildNeedles } from "../../../src/scan/findings/needles.js";
import type { LayerScan } from "../../../src/scan/layer/layer-scan.js";
import { zipOf } from "../../helpers/content-archives.js";
import { noise, scanLayerInChunks, secret, tarOf } from "../helpers.js";

const value = `sbtest-order-${randomBytes(12).toString("hex")}`;
const other = `sbtest-order-${randomBytes(12).toString("hex")}`;
const needles = buildNeedles([secret("a", value), secret("b", other)]);

const imageOf = (layer: LayerScan): ScannedImage => ({ config: { hits: [], layerHistory: ["COPY . /"], history: ["COPY . /"], diffIds: [layer.diffId] }, layers: [layer], blobDigests: [layer.digest] });

describe("findings come in the layer's order, whatever order its files finished in", () => {
  test("the same report when the hits arrive in any order (gzip files inflate beside the walk)", async () => {
    const layer = await scanLayerInChunks(
      needles,
      await tarOf([
        ["z/first.txt", Buffer.from(`${other} ${value}`)],
        ["a/second.gz", gzipSync(Buffer.concat([noise(300_000), Buffer.from(value)]))],
        ["m/third.jar", zipOf([{ name: "b.properties", data: Buffer.from(other) }, { name: "a.properties", data: Buffer.from(value) }])],
        [`k/${Buffer.from(value).toString("base64")}.txt`, Buffer.from("x")],
      ]),
    );
    expect(layer.hits.length).toBeGreaterThanOrEqual(6);
    const inOrder = assembleFindings(imageOf(layer), needles, undefined);
    for (let round = 0; round < 20; round++) {
      const shuffled = [...layer.hits].sort(() => Math.random() - 0.5);
      expect(assembleFindings(imageOf({ ...layer, hits: shuffled }), needles, undefined)).toEqual(inOrder);
    }
    // entries in the tar's order: first.txt (1), second.gz (2), third.jar (3), the name (4)
    expect(inOrder.map((f) => f.path.replace(/^k\/.*\.txt$/, "k/NAME.txt"))).toEqual([
      "z/first.txt",
      "z/first.txt",
      "a/second.gz",
      "m/third.jar!/a.properties",
      "m/third.jar!/b.properties",
      "k/NAME.txt",
    ]);
  });

  test("what was not searched comes in one order too", async () => {
    const layer = await scanLayerInChunks(needles, await tarOf([["x.txt", Buffer.from("x")]]));
    const notSearched = [
      { path: "b.7z", reason: "7z archive" },
      { path: "a.rar", reason: "RAR archive" },
      { path: "a.rar", reason: "a limit" },
    ];
    const one = assembleNotSearched(imageOf({ ...layer, notSearched }), needles, undefined);
    const two = assembleNotSearched(imageOf({ ...layer, notSearched: [...notSearched].reverse() }), needles, undefined);
    expect(one).toEqual(two);
    expect(one.map((n) => `${n.path}: ${n.reason}`)).toEqual(["a.rar: RAR archive", "a.rar: a limit", "b.7z: 7z archive"]);
  });
});
