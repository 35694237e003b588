import { describe, expect, test } from "vitest";
import { ContentBudget } from "../../../src/scan/content/limits.js";

const MiB = 1024 * 1024;

describe("the content budget: a per-scan allowance that grows with what is read", () => {
  test("4 GiB before anything is read, then 8 more bytes for every byte read", () => {
    const budget = new ContentBudget();
    expect(budget.streamCap().bytes).toBe(4096 * MiB);
    budget.read(100 * MiB);
    expect(budget.streamCap()).toEqual({ bytes: 4896 * MiB, reason: "the scan's decoded bytes reached 4896 MiB (limit per scan: 4096 MiB and 8 times the image's bytes read)" });
    budget.spend(4800 * MiB);
    expect(budget.streamCap().bytes).toBe(96 * MiB);
  });

  test("a file decoded in memory stops at 64 MiB, or sooner where the scan's allowance ends; a streamed one only there", () => {
    const budget = new ContentBudget(100 * MiB);
    expect(budget.heldCap()).toEqual({ bytes: 64 * MiB, reason: "decoded content over 64 MiB (limit per file, for what is decoded in memory)" });
    budget.spend(60 * MiB);
    expect(budget.heldCap().bytes).toBe(40 * MiB);
    expect(budget.heldCap().reason).toMatch(/^the scan's decoded bytes reached 100 MiB/);
    budget.spend(50 * MiB);
    expect(budget.streamCap().bytes).toBe(0);
    budget.read(MiB);
    expect(budget.streamCap().bytes).toBe(0);
    budget.read(2 * MiB);
    expect(budget.streamCap().bytes).toBe(14 * MiB);
  });
});
