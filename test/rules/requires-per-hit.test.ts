import { describe, expect, test } from "vitest";
import { builtins, findStream, findWhole } from "./find.js";
import type { CompiledRule } from "../../src/rules/compile-rules.js";

/** The built-in rules with the URL rule's regex runs counted (a window examined is a `find` call). */
function counted(): { rules: CompiledRule[]; calls: () => number } {
  let calls = 0;
  const rules = builtins.map((rule) =>
    rule.id === "url-password"
      ? {
          ...rule,
          find: (window: Buffer, found: (start: number, end: number) => void) => {
            calls += 1;
            rule.find(window, found);
          },
        }
      : rule,
  );
  return { rules, calls: () => calls };
}

const links = (n: number): string => Array.from({ length: n }, (_, i) => `see https://example.org/docs/page-${i}.html for more\n`.padEnd(400, " ")).join("");
const leaked = "postgres://app:Xq3v9LmT2wR8@db.internal:5432/app";

describe("a rule's required bytes, checked per keyword hit", () => {
  test("links without a password open no window: the URL rule's regex never runs on them (stream and whole buffer)", () => {
    const stream = counted();
    const text = Buffer.from(links(2000));
    expect(findStream([text.subarray(0, 300_000), text.subarray(300_000)], stream.rules).rules).toEqual([]);
    // at most the hits whose window crosses the chunk boundary or the stream's end (not decidable there)
    expect(stream.calls()).toBeLessThanOrEqual(2);
    const whole = counted();
    expect(findWhole(text, whole.rules)).toEqual([]);
    expect(whole.calls()).toBe(0);
  });

  test("a URL with a password among them is still found, wherever the chunks are cut", () => {
    const text = Buffer.from(`${links(300)}${leaked}\n${links(300)}`);
    const at = text.indexOf(leaked);
    const expected = findWhole(text).filter((f) => f.rule === "url-password");
    expect(expected).toHaveLength(1);
    for (const cut of [1, at - 10, at + 5, at + 20, at + leaked.length - 1, at + 100, 4096]) {
      const found = findStream([text.subarray(0, cut), text.subarray(cut)]).rules.filter((f) => f.rule === "url-password");
      expect(found.map((f) => f.offset)).toEqual(expected.map((f) => f.offset));
    }
  });

  test("the `@` far after the link (outside the hit's own window) does not make it a window, and a match inside a merged run of links is found", () => {
    const far = Buffer.from(`https://example.org/a${" ".repeat(400)}mail me@example.org\n`);
    const stream = counted();
    findStream([far], stream.rules);
    expect(stream.calls()).toBe(0);
    const run = Buffer.from(`https://a.example/ https://b.example/ ${leaked} https://c.example/\n`);
    expect(findStream([run]).rules.filter((f) => f.rule === "url-password")).toHaveLength(1);
  });
});
