import { randomBytes } from "node:crypto";
import { describe, expect, test } from "vitest";
import { BufferPool, poolOf } from "../../src/bytes/buffer-pool.js";
import { buildNeedles, type NeedleTable } from "../../src/scan/findings/needles.js";
import type { StreamSearcher } from "../../src/match/stream-search.js";
import { builtins } from "../rules/find.js";
import { token } from "../rules/tokens.js";
import { secret } from "../scan/helpers.js";

/** What one stream reports: rule previews and known-value encodings. */
function collector(needles: NeedleTable): { seen: string[]; onMatch: (tag: number) => void } {
  const seen: string[] = [];
  return {
    seen,
    onMatch: (tag) => {
      const m = needles.ruleMatch(tag);
      seen.push(m ? `${m.rule.id}:${m.preview}` : `${needles.variants[tag]!.secretId}:${needles.variants[tag]!.encoding}`);
    },
  };
}

const pieces = (bytes: Buffer, size: number): Buffer[] => Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
// the first line short, so the form is confirmed by reading back from a fragment on the next one
const wrapped = (value: string): string => {
  const b64 = Buffer.from(value).toString("base64");
  return [b64.slice(0, 5), ...(b64.slice(5).match(/.{1,20}/g) ?? [])].join("\n");
};

/**
 * Streams hand their history buffers back to a pool when they end (an archive member each):
 * two streams open at once must never share one, whatever order they end and start in.
 */
describe("streams with pooled history", () => {
  const one = randomBytes(30).toString("base64url");
  const two = randomBytes(30).toString("base64url");
  const needles = buildNeedles([secret("one", one), secret("two", two)], builtins);
  const tokenOne = token.github();
  const tokenTwo = token.github();
  const hayOne = Buffer.from(`${randomBytes(300).toString("hex")} TOKEN=${tokenOne}\n${wrapped(one)}\n`);
  const hayTwo = Buffer.from(`${randomBytes(300).toString("hex")} TOKEN=${tokenTwo}\n${wrapped(two)}\n`);

  /** Both hays through two streams open at once, their pieces interleaved. */
  function interleaved(a: StreamSearcher, b: StreamSearcher, size: number): [string[], string[]] {
    const ca = collector(needles);
    const cb = collector(needles);
    const pa = pieces(hayOne, size);
    const pb = pieces(hayTwo, size);
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
      if (pa[i]) a.push(pa[i]!, ca.onMatch);
      if (pb[i]) b.push(pb[i]!, cb.onMatch);
    }
    a.end(ca.onMatch);
    b.end(cb.onMatch);
    return [ca.seen.sort(), cb.seen.sort()];
  }

  const alone = (hay: Buffer): string[] => {
    const c = collector(needles);
    needles.matcher.scan(hay, c.onMatch);
    return c.seen.sort();
  };

  test.each([7, 64, 333])("interleaved in pieces of %i, after a stream ended twice", (size) => {
    const expectOne = alone(hayOne);
    const expectTwo = alone(hayTwo);
    expect(expectOne.some((s) => s.startsWith("github-token:"))).toBe(true);
    expect(expectOne.some((s) => s.startsWith("one:base64"))).toBe(true);
    for (let round = 0; round < 3; round++) {
      const first = needles.streamSearch();
      first.push(hayOne.subarray(0, 100), () => {});
      first.end(() => {});
      first.end(() => {});
      expect(interleaved(needles.streamSearch(), needles.streamSearch(), size)).toEqual([expectOne, expectTwo]);
    }
  });

  test("a stream reset and reused after its end takes a history again", () => {
    const search = needles.streamSearch();
    const c = collector(needles);
    for (const hay of [hayOne, hayTwo]) {
      for (const piece of pieces(hay, 13)) search.push(piece, c.onMatch);
      search.end(c.onMatch);
      search.reset();
    }
    expect(c.seen.sort()).toEqual([...alone(hayOne), ...alone(hayTwo)].sort());
  });
});

describe("BufferPool", () => {
  test("hands a buffer back out only once, keeps a bounded number and only its own size", () => {
    const pool = new BufferPool(1024, 2);
    const [a, b, c] = [pool.take(), pool.take(), pool.take()];
    expect(new Set([a, b, c]).size).toBe(3);
    pool.give(a);
    pool.give(b);
    pool.give(c);
    pool.give(Buffer.alloc(512));
    const again = [pool.take(), pool.take(), pool.take()];
    expect(again.filter((x) => x === a || x === b)).toHaveLength(2);
    expect(again.filter((x) => x === c)).toHaveLength(0);
    expect(again.every((x) => x.length === 1024)).toBe(true);
  });

  test("one pool per size in a thread", () => {
    expect(poolOf(4096)).toBe(poolOf(4096));
    expect(poolOf(4096)).not.toBe(poolOf(8192));
  });
});
