import { describe, expect, test } from "vitest";
import { compileRules } from "../../src/rules/compile-rules.js";
import { readGitleaksToml } from "../../src/rules/gitleaks-toml.js";
import type { RuleSpec } from "../../src/rules/rule.js";
import { secret } from "../scan/helpers.js";
import { findStream, findWhole } from "./find.js";
import { alnum, token } from "./tokens.js";

const rule = (over: Partial<RuleSpec>): RuleSpec => ({ id: "t", title: "t", severity: "high", regex: "tok_([a-z0-9]{20})", keywords: ["tok_"], ...over });
const compile = (...specs: RuleSpec[]) => compileRules(specs.map((r) => ({ rule: r, from: "test.yml" })));

describe("rules from users: what compiles, what is refused", () => {
  test("Go syntax: inline (?i) and secretGroup", () => {
    const rules = compile(rule({ regex: "(?i)key=(tok_[a-z0-9]{20})", keywords: ["tok_", "TOK_"] }));
    const value = `TOK_${alnum(20).toUpperCase()}`;
    expect(findWhole(`KEY=${value}`, rules).map((f) => f.rule)).toEqual(["t"]);
  });

  test.each([
    ["a regex that does not compile", rule({ id: "broken", regex: "tok_(" }), /rule broken: the regex does not compile/],
    ["a lookahead (not RE2)", rule({ id: "look", regex: "tok_(?=x)" }), /rule look: the regex does not compile/],
    ["a 1-byte keyword", rule({ id: "short", keywords: ["t"] }), /rule short: keyword "t" is shorter than 3 bytes/],
    ["no keywords", rule({ id: "none", keywords: [] }), /rule none: no keywords/],
    ["a window over the limit", rule({ id: "wide", after: 10_000_000 }), /rule wide: after must be a whole number of bytes from 0 to 16384/],
    ["a secretGroup the regex lacks", rule({ id: "grp", secretGroup: 3 }), /rule grp: secretGroup 3 but the regex has 1 group/],
  ])("%s: exit 2 naming the rule", (_what, spec, message) => {
    let error: unknown;
    try {
      compile(spec);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ exitCode: 2 });
    expect((error as Error).message).toMatch(message);
  });

  test("10,000 rules: refused at once with the limit in the message", () => {
    const many = Array.from({ length: 10_000 }, (_, i) => rule({ id: `r${i}` }));
    const started = performance.now();
    expect(() => compile(...many)).toThrow(/10000 pattern rules: more than 2000 \(limit\)/);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  test("a catastrophic regex runs in linear time (RE2 semantics)", () => {
    const rules = compile(rule({ id: "evil", regex: "(a+)+b", keywords: ["aaa"], after: 16384 }));
    const text = Buffer.from(`${"a".repeat(16_000)}!`);
    const started = performance.now();
    expect(findWhole(text, rules)).toEqual([]);
    // exponential backtracking would take longer than the age of the universe here
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  test("a keyword on every line of a large file: windows merge, a match at the end is still found", () => {
    const rules = compile(rule({ id: "t", keywords: ["tok_"] }));
    const value = `tok_${alnum(20).toLowerCase()}`;
    const data = Buffer.from(`${"tok_ x\n".repeat(40_000)}${value}\n`);
    const pieces: Buffer[] = [];
    for (let at = 0; at < data.length; at += 65_521) pieces.push(data.subarray(at, at + 65_521));
    expect(findStream(pieces, rules).rules.map((f) => f.offset)).toEqual([data.indexOf(value) + 4]);
  });

  test("known values win: a rule match that is a given secret is not reported as the rule", () => {
    const value = token.github("p");
    const found = findStream([Buffer.from(`GITHUB_TOKEN=${value}\n`)], compile(rule({ id: "gh", regex: "(ghp_[A-Za-z0-9]{36})", keywords: ["ghp_"] })), [secret("gh", value)]);
    expect(found.rules).toEqual([]);
    expect(found.known.length).toBeGreaterThan(0);
  });
});

describe("gitleaks TOML", () => {
  const toml = `
title = "team rules"
[extend]
useDefault = true

[[rules]]
id = "internal-token"
description = "Internal service token"
regex = '''(?i)\\b(itk_[a-z0-9]{24})\\b'''
secretGroup = 1
entropy = 3.0
keywords = ["itk_"]
tags = ["internal"]
  [[rules.allowlists]]
  regexTarget = "line"
  regexes = ['''itk_0{24}''']
  commits = ["abc"]

[[rules]]
id = "pkcs12-file"
path = '''(?i)\\.p12$'''

[[rules]]
id = "no-keywords"
regex = '''secret=[a-z]{10}'''
`;

  test("rules are read; what cannot be honoured is listed, one line each naming the rule", () => {
    const loaded = readGitleaksToml(toml, ".gitleaks.toml");
    expect(loaded.rules.map((r) => r.rule.id)).toEqual(["internal-token"]);
    expect(loaded.rules[0]?.rule).toMatchObject({ title: "Internal service token", secretGroup: 1, entropy: 3, keywords: ["itk_"], allowRegexes: ["itk_0{24}"] });
    expect(loaded.notes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/\[extend\] not honoured/),
        expect.stringMatching(/rule internal-token: allowlist regexTarget line not honoured/),
        expect.stringMatching(/rule internal-token: allowlist commits not honoured/),
        expect.stringMatching(/rule pkcs12-file: skipped: no regex/),
        expect.stringMatching(/rule no-keywords: skipped: no keywords/),
      ]),
    );
    const rules = compileRules(loaded.rules);
    expect(findWhole(`X=itk_${alnum(24).toLowerCase()}`, rules).map((f) => f.rule)).toEqual(["internal-token"]);
    expect(findWhole(`X=itk_${"0".repeat(24)}`, rules)).toEqual([]);
  });

  test("a TOML error is exit 2 naming the file", () => {
    expect(() => readGitleaksToml("[[rules]\nid=", "bad.toml")).toThrow(/bad.toml: not valid TOML/);
  });
});
