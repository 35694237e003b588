import { describe, expect, test } from "vitest";
import { InflatedMemo, type InflatedContent } from "../../../src/scan/content/inflated-memo.js";

describe("InflatedMemo", () => {
  test("inflates each distinct content once and hands every copy the same answer", async () => {
    const memo = new InflatedMemo();
    const calls: string[] = [];
    const inflate = (name: string, tags: number[]) => (): Promise<InflatedContent> => {
      calls.push(name);
      return Promise.resolve({ tags, truncated: null, inner: [] });
    };
    const a = memo.contentOf(Buffer.from("same bytes"), inflate("a", [1]));
    const b = memo.contentOf(Buffer.from("same bytes"), inflate("b", [2]));
    // same length, one byte apart: a different file
    const c = memo.contentOf(Buffer.from("same byteZ"), inflate("c", [3]));
    expect(calls).toEqual(["a", "c"]);
    expect(await b).toBe(await a);
    expect((await c).tags).toEqual([3]);
    expect(memo.size).toBe(2);
  });

  test("a copy that comes while the first still inflates waits for it", async () => {
    const memo = new InflatedMemo();
    let finish!: (content: InflatedContent) => void;
    const first = memo.contentOf(Buffer.from("slow"), () => new Promise((resolve) => (finish = resolve)));
    const copy = memo.contentOf(Buffer.from("slow"), () => Promise.reject(new Error("inflated twice")));
    finish({ tags: [7], truncated: "cut", inner: [] });
    expect(await copy).toEqual({ tags: [7], truncated: "cut", inner: [] });
    expect(await first).toEqual(await copy);
  });
});
