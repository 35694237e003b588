import { describe, expect, test } from "vitest";
import { buildNeedles } from "../../../src/scan/findings/needles.js";
import { SecretValue } from "../../../src/secrets/secret-value.js";
import type { ResolvedSecret } from "../../../src/secrets/secret.js";
import { SECRET_SCOPE, type Finding, type NotSearched } from "../../../src/scan/findings/finding.js";
import { verdictKind, verdictLine } from "../../../src/report/verdict.js";
import { writeText } from "../../../src/report/text.js";
import { inputWith, resultWith } from "../../report/sample-results.js";

const secret = (id: string, value: string): ResolvedSecret => ({ id, kind: "env", value: SecretValue.copyOf(Buffer.from(value)) });

describe("values too short to search are said, never silently skipped", () => {
  test.each([
    ["seven", "hunter2", 'secret "s" is shorter than 8 bytes: not scanned'],
    // a file of 7 characters and a newline: 8 bytes, but the 7 are what the scan would search
    ["seven and a newline", "hunter2\n", 'secret "s" is shorter than 8 bytes without its trailing newline: not scanned'],
    ["seven and CRLF", "C.UTF-8\r\n", 'secret "s" is shorter than 8 bytes without its trailing newline: not scanned'],
  ])("%s", (_name, value, warning) => {
    const needles = buildNeedles([secret("s", value)]);
    expect(needles.warnings).toEqual([warning]);
    expect(needles.variants).toEqual([]);
    // searched nowhere: the scan lists it as not searched, never as checked
    expect(needles.unsearched).toEqual(["s"]);
  });

  test("eight and a newline is searched; of two secrets only the short one is unsearched", () => {
    const needles = buildNeedles([secret("s", "h7Ru2x!q\n"), secret("pin", "4711\n")]);
    expect(needles.unsearched).toEqual(["pin"]);
    expect(needles.warnings).toEqual(['secret "pin" is shorter than 8 bytes without its trailing newline: not scanned']);
    expect(needles.variants.length).toBeGreaterThan(0);
  });
});

describe("values that look like words or common passwords are searched, with a warning", () => {
  const warning = 'secret "s" looks like a word or a common password, not a random value: it may be found where it was never leaked (in ordinary text and binaries)';
  test.each(["password", "changeme\n", "PASSWORD", "12345678", "hunter22", "Welcome2024!", "aaaaaaaabbbb"])("%j", (value) => {
    const needles = buildNeedles([secret("s", value)]);
    expect(needles.warnings).toEqual([warning]);
    expect(needles.variants.length).toBeGreaterThan(0);
  });

  test.each(["h7Ru2x!q", "correct horse battery staple", "sbtest-Zm9vYmFy", "ghp_" + "a1B2c3D4e5".repeat(3) + "xyzABC"])("not %j", (value) => {
    expect(buildNeedles([secret("s", value)]).warnings).toEqual([]);
  });
});

describe("the verdict of a scan with a secret too short to search", () => {
  const input = (secrets: readonly string[], notSearched: readonly NotSearched[], findings: readonly Finding[] = []) =>
    inputWith(findings, { secrets: secrets.map((id) => ({ id, source: "env" as const })), result: resultWith(findings, { notSearched }) });
  const short = (id: string): NotSearched => ({ path: "", layer: null, reason: `secret "${id}" is shorter than 8 bytes: searched nowhere`, scope: SECRET_SCOPE, secret: id });

  test.each<[string, ReturnType<typeof input>, string]>([
    ["one secret, too short: INCOMPLETE, never OK", input(["pin"], [short("pin")]), "INCOMPLETE: no secret found in what was read, but 1 secret is shorter than 8 bytes and searched nowhere (see the report's notSearched)"],
    ["two of three", input(["a", "b", "token"], [short("a"), short("b")]), "INCOMPLETE: no secret found in what was read, but 2 secrets are shorter than 8 bytes and searched nowhere (see the report's notSearched)"],
    [
      "and a file not searched",
      input(["pin", "token"], [short("pin"), { path: "app/x.7z", layer: null, reason: "7z: not opened" }]),
      "INCOMPLETE: no secret found in what was read, but 1 secret is shorter than 8 bytes and searched nowhere and 1 file could not be searched in full (see the report's notSearched)",
    ],
  ])("%s", (_name, given, verdict) => {
    expect(verdictKind(given)).toBe("INCOMPLETE");
    expect(verdictLine(given)).toBe(verdict);
  });

  test("the text report counts only the secrets searched, and names the short one", () => {
    const text = writeText(input(["pin", "token"], [short("pin")]), { color: false });
    expect(text).toMatch(/: 1 secret checked, /);
    expect(text).toContain('NOT SEARCHED secret "pin" is shorter than 8 bytes: searched nowhere');
    expect(text).toContain("every layer and the config");
  });

});
