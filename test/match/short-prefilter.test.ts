import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { compileMatcher, type Needle } from "../../src/match/matcher.js";
import { PREFILTER_MIN_BYTES, ShortPrefilter, prefilterAvailable } from "../../src/match/short-prefilter.js";
import { SHORT_PREFILTER_WASM } from "../../src/match/short-prefilter-wasm.js";
import { StreamSearch } from "../../src/match/stream-search.js";
import { BUILTIN_RULES } from "../../src/rules/builtin-rules.js";
import { DER_KEY_KEYWORDS } from "../../src/rules/der-private-key.js";
import { naiveMatches } from "./naive.js";
// @ts-expect-error: a plain ES module script without types
import { assemblePrefilter } from "../../scripts/build-wasm.mjs";

const needles = (...list: (string | Buffer)[]): Needle[] => list.map((b, tag) => ({ bytes: typeof b === "string" ? Buffer.from(b, "latin1") : b, tag }));

function prefiltered(hay: Buffer, list: Needle[], from = 0, limit = hay.length): string[] {
  const out: string[] = [];
  new ShortPrefilter(list).find(hay, from, limit, (tag, at) => out.push(`${tag}@${at}`));
  return out.sort();
}

/** The naive reference restricted to starts in [from, limit). */
function expected(hay: Buffer, list: Needle[], from: number, limit: number): string[] {
  return naiveMatches(hay, list).filter((m) => {
    const at = Number(m.split("@")[1]);
    return at >= from && at < limit;
  });
}

/** Needles planted in filler from a small alphabet, so that most positions share bytes with them. */
function planted(size: number, list: Needle[], positions: number[]): Buffer {
  const hay = Buffer.alloc(size);
  for (let i = 0; i < size; i++) hay[i] = "ghp_:/xoAIza"[(i * 7919) % 12]!.charCodeAt(0);
  positions.forEach((at, k) => list[k % list.length]!.bytes.copy(hay, at));
  return hay;
}

describe("the SIMD prefilter for short needles", () => {
  test("the rules' keywords share buckets by their nibbles: few positions of image-like bytes reach a compare", () => {
    const keywords = [...new Set(BUILTIN_RULES.flatMap((r) => r.keywords)), ...DER_KEY_KEYWORDS.map((k) => k.toString("latin1"))].filter((k) => k.length >= 3 && k.length < 16);
    const prefilter = new ShortPrefilter(needles(...keywords));
    // 6.3e-4 for the 51 keywords of 2026-12-04 (morning), 4.0e-3 for the 110 of its evening and
    // 5.0e-3 for 112; 7.3e-3 with private-key-der's 14 byte runs and twilio's 2: the filter of
    // first three bytes behind the masks held the bench's CPU to +2 %, no measurable change and
    // +2.8 % (docs/performance.md); a keyword of common bytes would take this far past the bound
    expect(prefilter.passRate).toBeLessThan(8e-3);
    // and it still finds each of them
    const hay = Buffer.from(`${"x".repeat(5000)}${keywords.join(" ")}${"x".repeat(5000)}`, "latin1");
    expect(prefiltered(hay, needles(...keywords))).toEqual(naiveMatches(hay, needles(...keywords)));
  });

  test("bytes that pass every nibble mask but start no needle's first three bytes reach no compare", () => {
    const keywords = [...new Set(BUILTIN_RULES.flatMap((r) => r.keywords))].filter((k) => k.length >= 3 && k.length < 16).map((k) => Buffer.from(k, "latin1"));
    // each byte takes its high nibble from one keyword and its low nibble from another, at the
    // same offset: the masks of a bucket holding both let it through, the needles rarely start so
    let seed = 7;
    const pick = (): Buffer => keywords[(seed = (seed * 1103515245 + 12345) >>> 0) % keywords.length]!;
    const hay = Buffer.alloc(3 * 200_000);
    for (let at = 0; at < hay.length; at += 3) {
      for (let k = 0; k < 3; k++) hay[at + k] = (pick()[k]! & 0xf0) | (pick()[k]! & 0x0f);
    }
    const prefixes = new Set(keywords.map((k) => k.toString("latin1", 0, 3)));
    let starts = 0;
    for (let at = 0; at + 3 <= hay.length; at++) if (prefixes.has(hay.toString("latin1", at, at + 3))) starts++;
    const prefilter = new ShortPrefilter(needles(...keywords));
    const found: string[] = [];
    prefilter.find(hay, 0, hay.length, (tag, at) => found.push(`${tag}@${at}`));
    expect(found.sort()).toEqual(naiveMatches(hay, needles(...keywords)));
    // the kernel's filter of first three bytes (2^16 bits for 51 prefixes) lets about 0.1 % of the rest through
    expect(prefilter.candidates).toBeLessThan(starts + hay.length * 0.002);
  });

  test("this runtime runs it (Node 20 and later have WebAssembly SIMD)", () => {
    expect(prefilterAvailable()).toBe(true);
  });

  test("the committed module is what scripts/build-wasm.mjs assembles from short-prefilter.wat", async () => {
    const bytes = (await assemblePrefilter()) as Buffer;
    expect(bytes.toString("base64")).toBe(SHORT_PREFILTER_WASM);
  });

  test("finds a needle at every position where the kernel's 256 KiB pieces and 16-byte blocks meet, and at the very end", () => {
    const list = needles("ghp_", "gho_", "xox", "AIza", "://", "glpat-", "PRIVATE KEY", "eyJhbGci", "a-needle-longer-than-sixteen-bytes", Buffer.from([0, 0, 0, 1]));
    const piece = 256 * 1024;
    const size = 3 * piece;
    const base = planted(size, list, []);
    const found = naiveMatches(base, list);
    for (const needle of [list[2]!, list[1]!, list[8]!, list[9]!]) {
      const length = needle.bytes.length;
      for (const at of [0, 1, 15, 16, 17, piece - 3, piece - 2, piece - 1, piece, piece + 1, 2 * piece - 4, 2 * piece + 5, size - length - 1, size - length]) {
        const hay = Buffer.from(base);
        needle.bytes.copy(hay, at);
        const got = prefiltered(hay, list);
        expect(got, `${needle.bytes.toString("latin1")} at ${at}`).toContain(`${needle.tag}@${at}`);
        expect(got).toEqual(naiveMatches(hay, list));
      }
    }
    for (const [from, limit] of [[1, piece], [piece - 2, piece + 3], [17, size - 9]] as const) {
      expect(prefiltered(base, list, from, limit)).toEqual(found.filter((m) => Number(m.split("@")[1]) >= from && Number(m.split("@")[1]) < limit));
    }
  });

  test("property: random needles and bytes, any range, equal to indexOf", () => {
    const needle = fc.uint8Array({ minLength: 3, maxLength: 24 }).map((a) => Buffer.from(a));
    fc.assert(
      fc.property(fc.array(needle, { minLength: 1, maxLength: 40 }), fc.integer({ min: 4096, max: 40_000 }), fc.array(fc.nat(), { maxLength: 60 }), fc.nat(), fc.nat(), (bytes, size, at, a, b) => {
        const list = bytes.map((n, tag) => ({ bytes: n, tag }));
        // bytes from the needles themselves, so candidates and near misses are everywhere
        const pool = Buffer.concat(bytes);
        const hay = Buffer.alloc(size);
        for (let i = 0; i < size; i++) hay[i] = pool[(i * 31 + (i >> 3)) % pool.length]!;
        at.forEach((p, k) => list[k % list.length]!.bytes.copy(hay, p % size));
        const from = a % size;
        const limit = from + (b % (size - from + 1));
        expect(prefiltered(hay, list, from, limit)).toEqual(expected(hay, list, from, limit));
      }),
      { numRuns: 150 },
    );
  });

  test("with many long needles, the matcher keeps a 16-byte window for them while short ones go to the prefilter, and finds both", () => {
    const long = Array.from({ length: 80 }, (_, k) => `known-value-number-${String(k).padStart(3, "0")}`);
    const list = needles("ghp_", "xox", "://", "sixteen-bytes-ok", "a-longer-known-value-of-thirty-b", ...long);
    const matcher = compileMatcher(list);
    expect(matcher.window).toBe(16);
    const hay = planted(PREFILTER_MIN_BYTES * 5, list, [3, 100, 4095, 4096, 9000, 12_000, 20_000 - 40, 7000, 7100]);
    // all but the known values: the few needles of a rules-only scan are all prefiltered, without a Wu-Manber pass
    expect(compileMatcher(list.slice(0, 5)).window).toBe(32);
    const out: string[] = [];
    matcher.scan(hay, (tag, at) => out.push(`${tag}@${at}`));
    expect(out.sort()).toEqual(naiveMatches(hay, list));
  });

  test("property: a stream in chunks of any size finds what indexOf finds in the whole", () => {
    const list = needles("ghp_", "gho_", "xox", "AIza", "://", "glpat-", "_authToken", "PuTTY-User-Key-File-", "known-value-0123456789");
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 20_000 }), { minLength: 1, maxLength: 12 }), fc.array(fc.nat(), { maxLength: 40 }), (cuts, at) => {
        const size = 60_000;
        const hay = planted(size, list, at.map((p) => p % (size - 30)));
        const search = new StreamSearch(list);
        const out: string[] = [];
        const onMatch = (tag: number, offset: number): number => out.push(`${tag}@${offset}`);
        let from = 0;
        for (const cut of cuts) {
          search.push(hay.subarray(from, Math.min(size, from + cut)), onMatch);
          from = Math.min(size, from + cut);
        }
        search.push(hay.subarray(from), onMatch);
        search.end(onMatch);
        expect(out.sort()).toEqual(naiveMatches(hay, list));
      }),
      { numRuns: 60 },
    );
  });
});
