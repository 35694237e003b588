import { describe, expect, test } from "vitest";
import { buildNeedles } from "../../../src/scan/findings/needles.js";
import { SecretValue } from "../../../src/secrets/secret-value.js";
import type { ResolvedSecret } from "../../../src/secrets/secret.js";

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
  });

  test("eight and a newline is searched", () => {
    const needles = buildNeedles([secret("s", "h7Ru2x!q\n")]);
    expect(needles.warnings).toEqual([]);
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
