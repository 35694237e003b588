import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { compileMatcher, type Needle } from "../../src/match/matcher.js";
import { naiveMatches } from "./naive.js";
import { WuManber } from "../../src/match/wu-manber.js";

const needles = (...list: (string | Buffer)[]): Needle[] =>
  list.map((b, tag) => ({ bytes: typeof b === "string" ? Buffer.from(b, "latin1") : b, tag }));

function found(hay: Buffer, list: Needle[]): string[] {
  const out: string[] = [];
  compileMatcher(list).scan(hay, (tag, start) => out.push(`${tag}@${start}`));
  return out.sort();
}

describe("compileMatcher", () => {
  const long = randomBytes(200_000);
  test.each<[string, Buffer, Needle[]]>([
    ["needle at the start", Buffer.from("SECRET-TOKEN and more"), needles("SECRET-TOKEN")],
    ["needle at the end", Buffer.from("more and SECRET-TOKEN"), needles("SECRET-TOKEN")],
    ["needle is the whole haystack", Buffer.from("SECRET-TOKEN"), needles("SECRET-TOKEN")],
    ["haystack shorter than needle", Buffer.from("SECRET"), needles("SECRET-TOKEN")],
    ["overlapping occurrences", Buffer.from("aaaaaaaaaaaaaaaaaaaa"), needles("aaaaaaaa")],
    ["overlapping needles", Buffer.from("xxABCDEFGHIJKLMNxx"), needles("ABCDEFGHIJ", "EFGHIJKLMN", "CDEFGHIJKL")],
    ["needles sharing a prefix", Buffer.from("..PREFIX-ONE..PREFIX-TWO..PREFIX-"), needles("PREFIX-ONE", "PREFIX-TWO", "PREFIX-THREE")],
    ["needle a prefix of another", Buffer.from("..abcdefgh..abcdefghijkl.."), needles("abcdefgh", "abcdefghijkl")],
    ["binary bytes and 0xff", Buffer.from([0, 0xff, 0xff, 0, 1, 2, 0xff, 0xfe, 0x80, 0, 0xff, 0xff, 0]), needles(Buffer.from([0xff, 0, 1, 2, 0xff, 0xfe, 0x80, 0]))],
    ["exactly 8 bytes", Buffer.from("12345678"), needles("12345678")],
    ["short needles (indexOf path)", Buffer.from("abcd abc abcde ab"), needles("abcd", "abc", "bcde", "ab")],
    ["short and long mixed", Buffer.from("xyzw-long-needle-here xyzw"), needles("xyzw", "long-needle-here", "-long-needle-here xyzw")],
    ["needles of every tier", Buffer.from("0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEF"), needles("23456789ab", "6789abcdefghijklmnop", "abcdefghijklmnopqrstuvwxyz0123456789ABC")],
    ["a very long needle", Buffer.concat([randomBytes(1000), long, randomBytes(1000)]), needles(long, long.subarray(0, 64), long.subarray(5000, 5008))],
    ["near miss: prefix only", Buffer.from("..SECRET-TOKE.."), needles("SECRET-TOKEN")],
    ["empty needle ignored", Buffer.from("abc"), needles("", "abcdefgh")],
  ])("%s", (_name, hay, list) => {
    expect(found(hay, list)).toEqual(naiveMatches(hay, list));
  });

  // the rules' keywords and the short forms of short secrets: more than one kernel pass holds
  describe("more short needles than one SIMD prefilter pass takes", () => {
    const text = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => "abcdefghijklmnopqrstuvwxyz_-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/=.:"[Math.floor(Math.random() * 67)]).join(""));
    const planted = (list: Needle[]): Buffer => {
      const hay = text(300_000);
      // each needle twice, one of them where a 256 KiB kernel block ends, and a few at the very end
      list.forEach((n, i) => {
        n.bytes.copy(hay, (i * 1931) % (hay.length - 64));
        n.bytes.copy(hay, 262_144 - (i % 15));
      });
      list[0]!.bytes.copy(hay, hay.length - list[0]!.bytes.length);
      return hay;
    };
    const keywords = Array.from({ length: 40 }, (_, i) => text(3 + (i % 5)));

    test("keywords and 100 needles of 8 to 15 bytes: every occurrence, and the Wu-Manber window is not cut to 8", () => {
      const list = needles(...keywords, ...Array.from({ length: 100 }, (_, i) => text(8 + (i % 8))), ...Array.from({ length: 30 }, () => text(40)));
      const hay = planted(list);
      expect(found(hay, list)).toEqual(naiveMatches(hay, list));
      expect(compileMatcher(list).window).toBeGreaterThanOrEqual(16);
    });

    test("keywords and 300 needles of 8 to 15 bytes (more than the passes take): every occurrence", () => {
      const list = needles(...keywords, ...Array.from({ length: 300 }, (_, i) => text(8 + (i % 8))), ...Array.from({ length: 30 }, () => text(40)));
      const hay = planted(list);
      expect(found(hay, list)).toEqual(naiveMatches(hay, list));
      expect(compileMatcher(list).window).toBe(8);
    });
  });

  test("maxLength, minLength", () => {
    const m = compileMatcher(needles("abcd", "0123456789", "x".repeat(40)));
    expect([m.maxLength, m.minLength]).toEqual([40, 4]);
  });

  test("agrees with indexOf on random inputs over a small alphabet", () => {
    const byte = fc.integer({ min: 0x61, max: 0x63 });
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }).map((a) => a.map((x) => 0x61 + (x % 3))), { minLength: 1, maxLength: 12 }),
        fc.array(byte, { maxLength: 600 }),
        (raw, hayBytes) => {
          const list = raw.map((a, tag) => ({ bytes: Buffer.from(a), tag }));
          const hay = Buffer.from(hayBytes);
          expect(found(hay, list)).toEqual(naiveMatches(hay, list));
        },
      ),
      { numRuns: 400 },
    );
  });

  test("agrees with indexOf when needles are planted in random bytes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 80 }), { minLength: 1, maxLength: 30 }),
        fc.uint8Array({ maxLength: 3000 }),
        fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 20 }),
        (raw, base, plants) => {
          const list = raw.map((a, tag) => ({ bytes: Buffer.from(a), tag }));
          const hay = Buffer.from(base);
          for (const [which, where] of plants) {
            const n = list[which % list.length]!.bytes;
            if (hay.length >= n.length) n.copy(hay, where % (hay.length - n.length + 1));
          }
          expect(found(hay, list)).toEqual(naiveMatches(hay, list));
        },
      ),
      { numRuns: 300 },
    );
  });

  // Ranges of 4096 starts and more are cut in four lanes walked side by side (wu-manber.ts):
  // occurrences at and around the seams, and ranges that start or stop anywhere, are found once.
  test("agrees with indexOf over long ranges walked in lanes, at their seams too", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 8, maxLength: 60 }).map((a) => a.map((x) => 0x61 + (x % 4))), { minLength: 1, maxLength: 16 }),
        fc.integer({ min: 4096, max: 40_000 }),
        fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: -3, max: 3 })), { maxLength: 24 }),
        fc.tuple(fc.nat(), fc.nat()),
        (raw, size, plants, [x, y]) => {
          const list = raw.map((a, tag) => ({ bytes: Buffer.from(a), tag }));
          const m = compileMatcher(list);
          // a small alphabet: many windows need a byte-for-byte look
          const hay = Buffer.from(randomBytes(size).map((b) => 0x61 + (b % 4)));
          const quarter = Math.floor((size - m.window + 1) / 4);
          for (const [which, seam, offset] of plants) {
            const n = list[which % list.length]!.bytes;
            const at = Math.min(Math.max(0, (seam % 5) * quarter + offset), size - n.length);
            if (at >= 0) n.copy(hay, at);
          }
          const all: string[] = [];
          m.scan(hay, (tag, start) => all.push(`${tag}@${start}`));
          expect(all.sort()).toEqual(naiveMatches(hay, list));
          const [from, to] = [x % size, y % (size + 1)].sort((p, q) => p - q) as [number, number];
          const ranged: string[] = [];
          m.scanRange(hay, from, to, (tag, start) => ranged.push(`${tag}@${start}`));
          const expected = naiveMatches(hay, list).filter((hit) => {
            const start = Number(hit.split("@")[1]);
            return start >= from && start < to && start + m.window <= size;
          });
          expect(ranged.sort()).toEqual(expected);
        },
      ),
      { numRuns: 60 },
    );
  });

  test("scanRange examines starts in [from, to) that have a window after them", () => {
    const list = needles("needle-one", "needle-two-is-longer-than-window-size-by-far");
    const m = compileMatcher(list);
    const hay = Buffer.from("needle-one needle-one needle-two-is-longer-than-window-size-by-far");
    const hits: number[] = [];
    m.scanRange(hay, 1, 12, (_t, s) => hits.push(s));
    expect(hits).toEqual([11]);
  });

  test("partial occurrences at the end go to onPartial", () => {
    const needle = "a-needle-much-longer-than-the-window-of-the-matcher";
    const m = compileMatcher(needles(needle));
    const hay = Buffer.from(`xx${needle.slice(0, 40)}`);
    const partial: number[] = [];
    m.scanRange(hay, 0, hay.length, () => expect.fail("no full match"), (_t, s) => partial.push(s));
    expect(partial).toEqual([2]);
  });

  test.each<[string, string, number]>([
    ["no prefix", "hello world", 0],
    ["one byte", "hello S", 1],
    ["short prefix", "hello SECR", 4],
    ["long prefix of a long needle", `hello ${"SECRET-".repeat(6)}`, 42],
    ["a whole short needle that starts the long one", "hello SECRET-", 7],
    ["a whole needle is not a proper prefix", "hello SECRET-SECRET-SECRET-SECRET-SECRET-SECRET-END", 0],
  ])("pendingTail: %s", (_name, hay, expected) => {
    const m = compileMatcher(needles("SECRET-", `${"SECRET-".repeat(6)}END`));
    expect(m.pendingTail(Buffer.from(hay))).toBe(expected);
  });
});

describe("WuManber at its smallest window", () => {
  // the lanes read a block with a 4-byte load ending at the window's end, which a window of 3 cannot give
  test("a window of 3 over a long range finds every occurrence, the first at offset 0", () => {
    const hay = Buffer.alloc(10_000, 0x2e);
    for (const at of [0, 4_999, 9_997]) hay.write("abc", at, "latin1");
    const found: number[] = [];
    new WuManber([Buffer.from("abc")], 3).scan(hay, 0, hay.length, (_index, start) => found.push(start));
    expect(found.sort((x, y) => x - y)).toEqual([0, 4_999, 9_997]);
  });
});
