import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { Needle } from "../../src/match/matcher.js";
import { StreamSearch } from "../../src/match/stream-search.js";
import { naiveMatches } from "./naive.js";

function streamed(hay: Buffer, list: readonly Needle[], cuts: readonly number[]): string[] {
  const search = new StreamSearch(list);
  const out: string[] = [];
  let from = 0;
  for (const cut of [...cuts, hay.length]) {
    search.push(hay.subarray(from, cut), (tag, offset) => out.push(`${tag}@${offset}`));
    from = cut;
  }
  search.end((tag, offset) => out.push(`${tag}@${offset}`));
  return out.sort();
}

describe("StreamSearch", () => {
  const token = Buffer.from(randomBytes(30).toString("base64url"));
  const big = randomBytes(5000);
  const list: Needle[] = [
    { bytes: token, tag: 7 },
    { bytes: Buffer.from("shrt"), tag: 8 },
    { bytes: Buffer.from("0123456789"), tag: 9 },
    { bytes: big, tag: 10 },
  ];
  const hay = Buffer.concat([Buffer.from("..shrt.."), token, Buffer.from("..0123456789"), big, token, Buffer.from("shrt")]);
  const whole = naiveMatches(hay, list);

  test("finds every needle split at every possible boundary", () => {
    expect(whole.length).toBe(6);
    for (let cut = 0; cut <= hay.length; cut += cut < 200 || cut > hay.length - 100 ? 1 : 97) {
      expect(streamed(hay, list, [cut])).toEqual(whole);
    }
  });

  test("one byte at a time", () => {
    const cuts = Array.from({ length: hay.length - 1 }, (_v, i) => i + 1);
    expect(streamed(hay, list, cuts)).toEqual(whole);
  });

  test("random chunkings of random data equal the whole-buffer result", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 70 }).map((a) => a.map((x) => 0x61 + (x % 2))), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 0x61, max: 0x62 }), { maxLength: 400 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (raw, bytes, rawCuts) => {
          const needles = raw.map((a, tag) => ({ bytes: Buffer.from(a), tag }));
          const data = Buffer.from(bytes);
          const cuts = [...new Set(rawCuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
          expect(streamed(data, needles, cuts)).toEqual(naiveMatches(data, needles));
        },
      ),
      { numRuns: 500 },
    );
  });

  test("reset starts a new stream", () => {
    const search = new StreamSearch(list);
    const out: number[] = [];
    search.push(token.subarray(0, 10), () => out.push(-1));
    search.reset();
    search.push(token.subarray(10), () => out.push(-1));
    search.push(token, (_t, offset) => out.push(offset));
    search.end((_t, offset) => out.push(offset));
    expect(out).toEqual([token.length - 10]);
  });
});
