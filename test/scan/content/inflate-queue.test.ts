import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import { Backlog } from "../../../src/bytes/backlog.js";
import { startLayerScan } from "../../../src/scan/layer/layer-scan.js";
import { buildNeedles } from "../../../src/scan/findings/needles.js";
import { GATHERED_GZIP_BYTES, InflateQueue } from "../../../src/scan/content/nested-gzip.js";
import { ReusedInflater } from "../../../src/scan/content/reused-inflater.js";
import { noise, secret, tarOf } from "../helpers.js";

describe("InflateQueue", () => {
  test("full past its limit; drained once at most half of it is queued", async () => {
    const queue = new InflateQueue(100);
    queue.take(101);
    expect(queue.full).toBe(true);
    let drained = false;
    void queue.drained().then(() => (drained = true));
    queue.give(40); // 61 queued: no longer full, not yet half
    await Promise.resolve();
    expect(queue.full).toBe(false);
    expect(drained).toBe(false);
    queue.give(11); // 50: half
    await Promise.resolve();
    expect(drained).toBe(true);
    expect(queue.queued).toBe(50);
    await expect(queue.drained()).resolves.toBeUndefined();
  });
});

const value = `sbtest-inflate-${randomBytes(12).toString("hex")}`;
const needles = buildNeedles([secret("token", value)]);


/** A node whose zlib handle cannot be driven: large files inflate on zlib's threads, through the queue. */
class Unsupported extends ReusedInflater {
  override begin(): null {
    return null;
  }
}

describe("layer scan, zlib's handle not driven: large gzip files inflate on zlib's threads while the walk goes on", async () => {
  const big = (withValue: boolean): Buffer =>
    gzipSync(Buffer.concat([noise(GATHERED_GZIP_BYTES + 50_000), Buffer.from(withValue ? value : "nothing here"), noise(10)]));
  const files: Array<readonly [string, Buffer]> = Array.from({ length: 6 }, (_, i) => [`doc/f${i}.gz`, big(i % 3 === 2)] as const);
  files.push(["doc/corrupt.gz", Buffer.concat([big(false).subarray(0, GATHERED_GZIP_BYTES), noise(70_000)])]);
  const layer = await tarOf(files);
  const findings = ["doc/f2.gz", "doc/f5.gz"];

  test("the files are too big to be gathered: they stream", () => {
    for (const [, body] of files) expect(body.length).toBeGreaterThan(GATHERED_GZIP_BYTES);
  });

  test("under its limit, the walk is never asked to wait; the findings are complete at finish", async () => {
    const queue = new InflateQueue(64 * 1024 * 1024);
    const backlog = new Backlog();
    const scanner = startLayerScan({ needles, inflating: queue, inflater: new Unsupported() }, backlog);
    for (let at = 0; at < layer.length; at += 64 * 1024) {
      scanner.sink.write(layer.subarray(at, at + 64 * 1024));
      expect(backlog.pending).toBe(false);
    }
    scanner.sink.end();
    expect(backlog.pending).toBe(false);
    const result = await scanner.finish();
    expect(result.hits.map((h) => h.path).sort()).toEqual(findings);
    expect(result.hits.every((h) => h.container === "gzip")).toBe(true);
    expect(queue.queued).toBe(0);
  });

  test("past its limit the walk waits, and still finds every value; every stream gives its share back", async () => {
    const queue = new InflateQueue(4 * 1024 * 1024);
    const backlog = new Backlog();
    const scanner = startLayerScan({ needles, inflating: queue, inflater: new Unsupported() }, backlog);
    let waits = 0;
    for (let at = 0; at < layer.length; at += 64 * 1024) {
      scanner.sink.write(layer.subarray(at, at + 64 * 1024));
      if (backlog.pending) {
        waits += 1;
        await backlog.settle();
        expect(queue.full).toBe(false);
      }
    }
    scanner.sink.end();
    await backlog.settle();
    const result = await scanner.finish();
    expect(waits).toBeGreaterThan(0);
    expect(result.hits.map((h) => h.path).sort()).toEqual(findings);
    expect(queue.queued).toBe(0);
  });
});

describe("layer scan: a layer that ends inside a gzip file", async () => {
  const gz = gzipSync(Buffer.concat([Buffer.from(value), noise(300_000)]));
  const layer = await tarOf([["doc/a.gz", gz], ["doc/b.txt", Buffer.from("after")]]);
  // cut in the middle of a.gz's content: the tar walk fails, the gzip stream is never ended by its entry
  const cut = layer.subarray(0, 512 + 150_000);

  const scanWhole = async (bytes: Buffer, queue: InflateQueue) => {
    const backlog = new Backlog();
    const scanner = startLayerScan({ needles, inflating: queue }, backlog);
    scanner.sink.write(bytes);
    await backlog.settle();
    scanner.sink.end();
    await backlog.settle();
    return scanner;
  };

  test.each<[string, Buffer]>([
    ["uncompressed", cut],
    ["itself gzip-compressed", gzipSync(cut)],
  ])("%s: finish still resolves, with what inflated and the error", async (_name, bytes) => {
    const queue = new InflateQueue(4 * 1024 * 1024);
    const result = await (await scanWhole(bytes, queue)).finish();
    expect(result.error).not.toBeNull();
    expect(result.hits.map((h) => `${h.container}:${h.path}`)).toEqual(["gzip:doc/a.gz"]);
    expect(queue.queued).toBe(0);
  });

  test("an earlier layer cut inside a gzip file does not hold up a later layer's finish (one queue per scan)", async () => {
    const queue = new InflateQueue(4 * 1024 * 1024);
    const first = await scanWhole(cut, queue);
    const second = await scanWhole(layer, queue);
    const results = await Promise.all([second.finish(), first.finish()]);
    expect(results.map((r) => r.error === null)).toEqual([true, false]);
    expect(queue.queued).toBe(0);
  });
});
