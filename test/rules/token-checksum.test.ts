import { describe, expect, test } from "vitest";
import { buildNeedles } from "../../src/scan/findings/needles.js";
import { ruleFinding } from "../../src/scan/findings/assemble.js";
import { hasTokenChecksum } from "../../src/rules/token-checksum.js";
import { alnum, checksummed, token } from "./tokens.js";
import { builtins } from "./find.js";

/** The rule findings of `text` as a file at `path`, after the allow paths (as assemble.ts reports them). */
function reported(text: string, path: string): string[] {
  const needles = buildNeedles([], builtins);
  const out: string[] = [];
  needles.matcher.scan(Buffer.from(text), (tag) => {
    const f = ruleFinding(needles, tag, "file", path);
    if (f?.rule) out.push(f.rule);
  });
  return out;
}

const PREFIXES = ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "npm_"];
/** One character changed: the checksum no longer holds. */
const mistyped = (t: string): string => `${t.slice(0, 10)}${t[10] === "A" ? "B" : "A"}${t.slice(11)}`;

describe("tokens with a checksum (GitHub's and npm's format)", () => {
  test("npm's published example verifies; one character changed does not", () => {
    // "npm has a new access token format", as quoted in secretlint issue 200 (a dummy token), in pieces
    const example = ["npm_", "qkJaB6MffYVzZXWqmcoF49yrUxP3wf", "0LsakP"].join("");
    expect(hasTokenChecksum(Buffer.from(example))).toBe(true);
    expect(hasTokenChecksum(Buffer.from(mistyped(example)))).toBe(false);
  });

  test.each(PREFIXES)("%s: an issued token verifies, a random or longer one does not", (prefix) => {
    const good = checksummed(prefix);
    expect(hasTokenChecksum(Buffer.from(good))).toBe(true);
    expect(hasTokenChecksum(Buffer.from(mistyped(good)))).toBe(false);
    expect(hasTokenChecksum(Buffer.from(`${prefix}${alnum(36)}`))).toBe(false);
    expect(hasTokenChecksum(Buffer.from(`${good}x`))).toBe(false);
  });

  test.each([
    ["usr/share/doc/x/README"],
    ["opt/app/usr/share/doc/secrets.txt"],
    ["app/node_modules/pkg/README.md"],
  ])("a verified GitHub or npm token under an allowed path is reported: %s", (path) => {
    expect(reported(`t=${checksummed("ghp_")}\n`, path)).toEqual(["github-token"]);
    expect(reported(`//registry.npmjs.org/:_authToken=${checksummed("npm_")}\n`, path)).toEqual(["npm-token"]);
  });

  test("an unverified look-alike there stays quiet, as before, beside a verified one; elsewhere it is still a finding", () => {
    const lookalike = token.github("p");
    const text = `a=${lookalike}\nb=${mistyped(checksummed("ghp_"))}\nc=${checksummed("gho_")}\n`;
    expect(reported(text, "usr/share/doc/x/README")).toEqual(["github-token"]);
    expect(reported(text, "app/.env")).toEqual(["github-token", "github-token", "github-token"]);
  });
});
