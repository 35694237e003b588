import { describe, expect, test } from "vitest";
import { GatherPool } from "../../../src/scan/content/gather-pool.js";

const MiB = 1024 * 1024;

describe("GatherPool", () => {
  test("reuses the spare for any file that fits, and never hands it out twice", () => {
    const pool = new GatherPool();
    const first = pool.take(3 * MiB);
    expect(first.length).toBeGreaterThanOrEqual(3 * MiB);
    pool.give(first);
    const second = pool.take(1000);
    expect(second).toBe(first);
    // taken: a file gathered meanwhile (a jar inside a jar) gets its own
    const nested = pool.take(1000);
    expect(nested).not.toBe(first);
    pool.give(nested);
    pool.give(second);
    expect(pool.take(2 * MiB)).toBe(first);
  });

  test("keeps the larger of two spares, and none over 16 MiB", () => {
    const pool = new GatherPool();
    const small = pool.take(1000);
    const large = pool.take(5 * MiB);
    pool.give(large);
    pool.give(small);
    expect(pool.take(4 * MiB)).toBe(large);
    const huge = pool.take(20 * MiB);
    expect(huge.length).toBe(20 * MiB);
    pool.give(huge);
    expect(pool.take(17 * MiB)).not.toBe(huge);
  });
});
