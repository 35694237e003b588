import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { compileMatcher } from "../../src/match/matcher.js";
import { ChunkSearcher } from "../../src/scan/chunk-search.js";

const needles = ["sbneedle-alpha-0001", "beta-needle-22", "gamma!!!"].map((s) => Buffer.from(s));
const matcher = compileMatcher(needles.map((bytes, tag) => ({ bytes, tag })));

function searchChunks(chunks: readonly Buffer[]): number[] {
  const searcher = new ChunkSearcher(matcher, needles.map((n) => n.length));
  const found: number[] = [];
  for (const chunk of chunks) searcher.push(chunk, (tag) => found.push(tag));
  return found.sort();
}

function split(data: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    out.push(data.subarray(from, p));
    from = p;
  }
  out.push(data.subarray(from));
  return out;
}

describe("ChunkSearcher", () => {
  const text = Buffer.from("xx sbneedle-alpha-0001 yy beta-needle-22 zz gamma!!! end");
  test.each([
    ["one chunk", [text.length]],
    ["split inside the first needle", [8]],
    ["byte by byte", Array.from({ length: text.length }, (_, i) => i)],
    ["split at every needle edge", [3, 22, 26, 40, 44, 52]],
  ])("%s finds each needle once", (_name, cuts) => {
    expect(searchChunks(split(text, cuts))).toEqual([0, 1, 2]);
  });

  test("reset forgets the carry: a needle split across two entries is not a match", () => {
    const searcher = new ChunkSearcher(matcher, needles.map((n) => n.length));
    const found: number[] = [];
    searcher.push(Buffer.from("....gamm"), (t) => found.push(t));
    searcher.reset();
    searcher.push(Buffer.from("a!!!...."), (t) => found.push(t));
    expect(found).toEqual([]);
  });

  test("any chunking finds exactly what one whole-buffer search finds", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("sbneedle-alpha-0001", "beta-needle-22", "gamma!!!", "x", "gam", "sbneedle-", "-22"), { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (pieces, cuts) => {
          const data = Buffer.from(pieces.join(""));
          const whole: number[] = [];
          matcher.scan(data, (tag) => whole.push(tag));
          expect(searchChunks(split(data, cuts))).toEqual(whole.sort());
        },
      ),
    );
  });
});
