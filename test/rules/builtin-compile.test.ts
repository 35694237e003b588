import { RE2JS } from "re2js";
import { afterEach, describe, expect, test, vi } from "vitest";
import { BUILTIN_RULES } from "../../src/rules/builtin-rules.js";
import { compileRule } from "../../src/rules/compile-rules.js";

afterEach(() => vi.restoreAllMocks());

describe("built-in rules compile on V8's regexes alone", () => {
  test("no re2js compile at a scan's start (it cost 0.1 s of every scan); a user's rule still gets one", () => {
    const compile = vi.spyOn(RE2JS, "compile");
    for (const rule of BUILTIN_RULES) compileRule({ rule, from: "built-in rules" }, true);
    expect(compile).not.toHaveBeenCalled();
    compileRule({ rule: BUILTIN_RULES[0]!, from: "rules.toml" }, false);
    expect(compile).toHaveBeenCalled();
  });

  test("groups are counted as re2js counts them: the same secretGroup errors either way", () => {
    for (const rule of BUILTIN_RULES) {
      const groups = RE2JS.compile(rule.regex).groupCount();
      const over = { ...rule, secretGroup: groups + 1 };
      const message = (trusted: boolean): string => {
        try {
          compileRule({ rule: over, from: "x" }, trusted);
          return "compiled";
        } catch (error) {
          return (error as Error).message;
        }
      };
      expect(message(true)).toBe(message(false));
      expect(message(true)).toContain(`has ${groups} group`);
      expect(() => compileRule({ rule: { ...rule, secretGroup: groups }, from: "x" }, true)).not.toThrow();
    }
  });

  test("allowed paths hold on either engine", () => {
    const rule = BUILTIN_RULES.find((r) => r.id === "url-password")!;
    for (const trusted of [true, false]) {
      const compiled = compileRule({ rule, from: "x" }, trusted);
      expect(compiled.allowsPath("usr/share/doc/git/README")).toBe(true);
      expect(compiled.allowsPath("app/config/settings.py")).toBe(false);
    }
  });
});
