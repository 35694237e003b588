import { createHash, randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, test } from "vitest";
import { digestThreadReady, layerDigest } from "../../../src/scan/layer/digest-thread.js";

const sha = (...parts: Buffer[]): string => {
  const hash = createHash("sha256");
  for (const p of parts) hash.update(p);
  return `sha256:${hash.digest("hex")}`;
};

describe("layer digests on the hashing thread", () => {
  test("the first layer is hashed here while the thread starts, later ones there; interleaved streams, chunks larger than the ring, an empty stream", async () => {
    const first = layerDigest();
    const small = randomBytes(1000);
    first.update(small);
    expect(await first.digest()).toBe(sha(small));
    for (let i = 0; i < 100 && !digestThreadReady(); i++) await sleep(50);
    expect(digestThreadReady()).toBe(true);

    // two streams at once (a compressed layer as stored and as unpacked), 20 MB each: the ring
    // (4 MiB) fills, the walk waits for the thread, and no slot is read twice or skipped
    const stored = layerDigest();
    const unpacked = layerDigest();
    const empty = layerDigest();
    const a = randomBytes(20 * 1024 * 1024 + 17);
    const b = randomBytes(3 * 1024 * 1024 + 5);
    for (let at = 0; at < a.length; at += 1024 * 1024 - 3) {
      stored.update(a.subarray(at, at + 1024 * 1024 - 3));
      unpacked.update(b.subarray(0, 1 + (at % 4096)));
    }
    const parts: Buffer[] = [];
    for (let at = 0; at < a.length; at += 1024 * 1024 - 3) parts.push(b.subarray(0, 1 + (at % 4096)));
    expect(await empty.digest()).toBe(sha());
    expect(await unpacked.digest()).toBe(sha(...parts));
    expect(await stored.digest()).toBe(sha(a));
    // asked twice: the same answer, no second request
    expect(await stored.digest()).toBe(sha(a));
  });
});
