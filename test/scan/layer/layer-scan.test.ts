import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ContentBudget } from "../../../src/scan/content/limits.js";
import { Backlog } from "../../../src/bytes/backlog.js";
import { InflatedMemo, type InflatedContent } from "../../../src/scan/content/inflated-memo.js";
import { startLayerScan, type LayerScan, type LayerScanContext } from "../../../src/scan/layer/layer-scan.js";
import { buildNeedles } from "../../../src/scan/findings/needles.js";
import { GATHERED_GZIP_BYTES, SMALL_GZIP_BYTES } from "../../../src/scan/content/nested-gzip.js";
import { ReusedInflater } from "../../../src/scan/content/reused-inflater.js";
import { noise, secret, tarOf } from "../helpers.js";

const value = `sbtest-scan-${randomBytes(12).toString("hex")}`;
const needles = buildNeedles([secret("token", value)]);


/** Scans `layer` pushed in pieces through one reused buffer, settling the backlog between pieces. */
async function scan(layer: Buffer, cuts: readonly number[] = [], ctx: LayerScanContext = { needles }): Promise<LayerScan> {
  const backlog = new Backlog();
  const scanner = startLayerScan(ctx, backlog);
  const reused = Buffer.alloc(layer.length);
  const points = [...new Set(cuts.map((c) => c % (layer.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  for (const to of [...points, layer.length]) {
    layer.copy(reused, 0, from, to);
    scanner.sink.write(reused.subarray(0, to - from));
    reused.fill(0xee);
    await backlog.settle();
    from = to;
  }
  scanner.sink.end();
  await backlog.settle();
  return await scanner.finish();
}

const hitsOf = (result: LayerScan) => result.hits.map((h) => `${h.where}:${h.container ?? "-"}:${h.path}`).sort();


describe("layer scan: nested gzip files", async () => {
  const small = gzipSync(Buffer.concat([noise(1000), Buffer.from(value), noise(1000)]));
  const big = gzipSync(Buffer.concat([noise(200_000), Buffer.from(value), noise(10)]));
  const bomb = gzipSync(Buffer.concat([Buffer.alloc(40 * 1024 * 1024), Buffer.from(value)]));
  const cut = gzipSync(Buffer.concat([Buffer.from(value), noise(300_000)])).subarray(0, 50_000);
  // too big to gather: inflated as they stream past
  const huge = gzipSync(Buffer.concat([noise(GATHERED_GZIP_BYTES), Buffer.from(value), noise(10)]));
  const hugeCut = gzipSync(Buffer.concat([noise(1000), Buffer.from(value), noise(GATHERED_GZIP_BYTES)])).subarray(0, GATHERED_GZIP_BYTES + 1000);
  const layer = await tarOf([
    ["plain.txt", Buffer.from(`x ${value} y`)],
    ["small.gz", small],
    ["big.gz", big],
    ["cut.gz", cut],
    ["huge.gz", huge],
    ["huge-cut.gz", hugeCut],
    // last: what it spends of the scan's allowance leaves nothing for a file after it
    ["bomb.gz", bomb],
  ]);

  test("the fixtures take every path", () => {
    expect(small.length).toBeLessThanOrEqual(SMALL_GZIP_BYTES);
    expect(big.length).toBeGreaterThan(SMALL_GZIP_BYTES);
    expect(bomb.length).toBeLessThanOrEqual(SMALL_GZIP_BYTES);
    expect(Math.min(huge.length, hugeCut.length)).toBeGreaterThan(GATHERED_GZIP_BYTES);
  });

  /** A node whose zlib handle cannot be driven: zlib's public calls and streams instead. */
  class Unsupported extends ReusedInflater {
    override begin(): null {
      return null;
    }
  }

  test.each<[string, LayerScanContext]>([
    // a scan allowed 32 MiB of decoded bytes: the 40 MiB bomb passes it
    ["zlib's handle driven", { needles, budget: new ContentBudget(32 * 1024 * 1024) }],
    ["zlib's public calls", { needles, inflater: new Unsupported(), budget: new ContentBudget(32 * 1024 * 1024) }],
  ])("finds values in plain files and in small, large and cut-short gzip files; a bomb is cut where the scan's allowance ends, and flagged (%s)", async (_name, ctx) => {
    const result = await scan(layer, [], ctx);
    expect(result.error).toBeNull();
    expect(hitsOf(result)).toEqual([
      "file:-:plain.txt",
      "file:gzip:big.gz",
      "file:gzip:cut.gz",
      "file:gzip:huge-cut.gz",
      "file:gzip:huge.gz",
      "file:gzip:small.gz",
    ]);
    expect(result.notSearched.map((n) => n.path)).toEqual(["bomb.gz"]);
    expect(result.files).toBe(7);
  });

  test("whatever the chunk boundaries (the gzip magic split included)", async () => {
    const whole = hitsOf(await scan(layer));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { maxLength: 8 }), async (cuts) => {
        expect(hitsOf(await scan(layer, cuts))).toEqual(whole);
      }),
      { numRuns: 15 },
    );
    // a cut right after the first byte of every gzip file's body
    const starts = ["small.gz", "big.gz", "cut.gz", "huge.gz"].map((name) => layer.indexOf(name) + 512 + 1);
    expect(hitsOf(await scan(layer, starts))).toEqual(whole);
  });
});

describe("layer scan: identical gzip files inflate once, and each copy is reported", async () => {
  const small = gzipSync(Buffer.concat([noise(1000), Buffer.from(value), noise(1000)]));
  const gathered = gzipSync(Buffer.concat([noise(300_000), Buffer.from(value), noise(10)]));
  const clean = gzipSync(noise(5000));
  const bomb = gzipSync(Buffer.concat([Buffer.alloc(40 * 1024 * 1024), Buffer.from(value)]));
  const first = await tarOf([
    ["a/changelog.gz", small],
    ["b/changelog.gz", small],
    ["a/big.gz", gathered],
    ["b/big.gz", gathered],
    ["a/clean.gz", clean],
    ["b/clean.gz", clean],
  ]);
  const second = await tarOf([
    ["c/changelog.gz", small],
    ["c/bomb.gz", bomb],
  ]);
  const third = await tarOf([["d/bomb.gz", bomb]]);

  test("the fixtures take both gathered paths", () => {
    expect(small.length).toBeLessThanOrEqual(SMALL_GZIP_BYTES);
    expect(gathered.length).toBeGreaterThan(SMALL_GZIP_BYTES);
    expect(gathered.length).toBeLessThanOrEqual(GATHERED_GZIP_BYTES);
  });

  /** Counts the files that really inflate. */
  class CountingMemo extends InflatedMemo {
    inflated = 0;
    override contentOf(compressed: Buffer, inflate: () => Promise<InflatedContent>): Promise<InflatedContent> {
      return super.contentOf(compressed, () => {
        this.inflated += 1;
        return inflate();
      });
    }
  }

  test("within a layer and across the layers of a scan", async () => {
    const memo = new CountingMemo();
    // one allowance for the three layers, as one scan has: the 40 MiB bomb passes it
    const ctx = { needles, inflated: memo, budget: new ContentBudget(32 * 1024 * 1024) };
    const one = await scan(first, [], ctx);
    expect(hitsOf(one)).toEqual(["file:gzip:a/big.gz", "file:gzip:a/changelog.gz", "file:gzip:b/big.gz", "file:gzip:b/changelog.gz"]);
    expect([memo.inflated, memo.size]).toEqual([3, 3]);
    const two = await scan(second, [], ctx);
    expect(hitsOf(two)).toEqual(["file:gzip:c/changelog.gz"]);
    expect(two.notSearched.length).toBe(1);
    expect([memo.inflated, memo.size]).toEqual([4, 4]);
    // a copy of a file a limit cut is cut too
    const three = await scan(third, [], ctx);
    expect(three.notSearched.length).toBe(1);
    expect([memo.inflated, memo.size]).toEqual([4, 4]);
  });

  test("whatever the chunk boundaries", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { maxLength: 8 }), async (cuts) => {
        expect(hitsOf(await scan(first, cuts, { needles, inflated: new InflatedMemo() }))).toEqual(hitsOf(await scan(first)));
      }),
      { numRuns: 10 },
    );
  });
});

describe("layer scan: the layer itself compressed, or unreadable", async () => {
  const layer = await tarOf([["etc/token", Buffer.from(value)]]);
  test.each<[string, Buffer, string[], boolean]>([
    ["uncompressed", layer, ["file:-:etc/token"], false],
    ["gzip", gzipSync(layer), ["file:-:etc/token"], false],
    // what came before the cut is still searched
    ["cut short", layer.subarray(0, 700), ["file:-:etc/token"], true],
    ["not a tar", Buffer.from("just some text, no tar at all".repeat(40)), [], true],
    ["gzip cut short", gzipSync(layer).subarray(0, 60), [], true],
  ])("%s", async (_name, bytes, hits, failed) => {
    for (const cuts of [[], [1], [2, 3, 600]]) {
      const result = await scan(bytes, cuts);
      expect(hitsOf(result)).toEqual(hits);
      expect(result.error !== null).toBe(failed);
    }
  });
});

describe("layer scan: two layers walked interleaved share the scan's inflater", async () => {
  // layers whose own bytes decompress on zlib's threads may be walked in turns
  const huge = gzipSync(Buffer.concat([noise(GATHERED_GZIP_BYTES), Buffer.from(value), noise(10)]));
  const first = await tarOf([["a/huge.gz", huge]]);
  const second = await tarOf([
    ["b/small.gz", gzipSync(Buffer.concat([noise(500), Buffer.from(value)]))],
    ["b/big.gz", gzipSync(Buffer.concat([noise(300_000), Buffer.from(value)]))],
  ]);

  test("a large file of one open while the other's files inflate: each finds its own", async () => {
    const ctx: LayerScanContext = { needles, inflater: new ReusedInflater() };
    const backlog = new Backlog();
    const a = startLayerScan(ctx, backlog);
    const b = startLayerScan(ctx, backlog);
    const half = 512 + Math.floor(huge.length / 2);
    a.sink.write(first.subarray(0, half));
    b.sink.write(second);
    b.sink.end();
    a.sink.write(first.subarray(half));
    a.sink.end();
    await backlog.settle();
    expect(hitsOf(await a.finish())).toEqual(["file:gzip:a/huge.gz"]);
    expect(hitsOf(await b.finish())).toEqual(["file:gzip:b/big.gz", "file:gzip:b/small.gz"]);
  });
});

describe("layer scan: names", () => {
  test("a value at the end of a long name with multi-byte characters is found (the names' scratch buffer grows)", async () => {
    const short = "a/" + "é".repeat(10);
    const long = `${"dir-ü/".repeat(700)}${value}`;
    const result = await scan(await tarOf([[short, Buffer.from("x")], [long, Buffer.from("y")], ["empty", Buffer.alloc(0)], [`again/${value}`, Buffer.alloc(0)]]));
    expect(hitsOf(result)).toEqual([`path:-:${long}`, `path:-:again/${value}`].sort());
  });
});
