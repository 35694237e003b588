import { describe, expect, test } from "vitest";
import { KeywordStream, planKeywords } from "../../src/match/keyword-windows.js";
import type { StreamMatchHandler, StreamSearcher } from "../../src/match/stream-search.js";
import { BUILTIN_RULES } from "../../src/rules/builtin-rules.js";
import { compileRules } from "../../src/rules/compile-rules.js";
import { pem } from "./tokens.js";

/**
 * The keyword pass reports a chunk's hits in no set order once several rules' keywords are
 * searched (pycryptodome's test_import_DSA.py in one chunk: its hits came 13354, 7300, 7936,
 * 14377, …, and 3 of its 4 keys were missed). Windows must cover every hit whatever the order.
 */
const rules = compileRules(
  BUILTIN_RULES.filter((r) => r.id === "private-key").map((rule) => ({ rule, from: "built-in rules" })),
  () => true,
);
const plan = planKeywords(rules);
const KEYWORD = Buffer.from("PRIVATE KEY");

/** A keyword pass that reports a chunk's hits in the order given (by their rank in offset order). */
function shuffled(order: (n: number) => number[]): StreamSearcher {
  let offset = 0;
  const report = (chunk: Buffer, base: number, onMatch: StreamMatchHandler): void => {
    const hits: number[] = [];
    for (let at = chunk.indexOf(KEYWORD); at !== -1; at = chunk.indexOf(KEYWORD, at + 1)) hits.push(base + at);
    for (const i of order(hits.length)) onMatch(0, hits[i]!);
  };
  return {
    maxLength: KEYWORD.length,
    get offset() {
      return offset;
    },
    push(chunk, onMatch) {
      report(chunk, offset, onMatch);
      offset += chunk.length;
    },
    end() {},
    reset() {
      offset = 0;
    },
  };
}

const text = Buffer.from(["x = 1", pem("DSA PRIVATE KEY"), "y = 2", pem("PRIVATE KEY"), "z = 3", pem("ENCRYPTED PRIVATE KEY"), "w = 4", pem("DSA PRIVATE KEY")].join("\n".repeat(40)));

describe("keyword hits out of offset order", () => {
  test.each([
    ["in order", (n: number) => [...Array(n).keys()]],
    ["reversed", (n: number) => [...Array(n).keys()].reverse()],
    ["a late one first (as the keyword pass gave them)", (n: number) => [n - 3, ...[...Array(n).keys()].filter((i) => i !== n - 3)]],
  ])("every key of one chunk is found: hits %s", (_, order) => {
    const found: number[] = [];
    const stream = new KeywordStream(shuffled(order), plan, 0, (_rule, _secret, at) => (found.push(at), at), { take: () => true });
    stream.push(text, () => undefined);
    stream.end(() => undefined);
    // one match per key, at its body's start
    const keys = [...text.toString("latin1").matchAll(/-----BEGIN [A-Z ]*PRIVATE KEY-----/g)].map((m) => m.index + m[0].length);
    expect(found.sort((a, b) => a - b)).toEqual(keys);
  });
});
