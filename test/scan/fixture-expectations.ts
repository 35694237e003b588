import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import type { ScanResult } from "../../src/scan/findings/finding.js";
import { fixtures } from "./helpers.js";

/** The fixed fake token of scripts/make-fixtures.sh and a prefix of it that must never match. */
export const TOKEN = readFileSync(join(fixtures, "TOKEN"), "utf8").trim();
export const NEAR = readFileSync(join(fixtures, "NEAR"), "utf8").trim();

/** [where, layer index (from the first non-base layer), path, encoding, deleted, container] */
type Expected = readonly [string, number | null, string, string, boolean, string | null];

export const leakyExpectations: readonly Expected[] = [
  ["env", null, "Env[1]", "raw", false, null],
  ["label", null, "Labels.fixture.token", "raw", false, null],
  ["file", 0, "app/secret.txt", "raw", false, null],
  ["file", 1, "app/deleted.txt", "raw", true, null],
  ["file", 4, "app/b64.txt", "base64", false, null],
  ["path", 5, "app/name-***", "raw", false, null],
  ["linkname", 6, "app/link", "raw", false, null],
  ["file", 7, "app/straddle.bin", "raw", false, null],
  ["file", 8, "app/notrail.txt", "raw", false, null],
  ["file", 9, "app/nested.gz", "raw", false, "gzip"],
];

/** Checks a scan of the leaky fixture image; `base` is how many layers sit below the fixture's own. */
export function expectLeaky(result: ScanResult, secretId: string, base = 0): void {
  const got = result.findings.map((f) => [f.where, f.layer?.index ?? null, f.path, f.encoding, f.deleted, f.container ?? null]);
  for (const [where, index, path, encoding, deleted, container] of leakyExpectations) {
    expect(got).toContainEqual([where, index === null ? null : index + base, path, encoding, deleted, container]);
  }
  // The build arg lands in the history of every RUN after its ARG.
  expect(result.findings.some((f) => f.where === "history" && /^history\[\d+\]\.created_by$/.test(f.path))).toBe(true);
  for (const f of result.findings) {
    expect(f.secret).toBe(secretId);
    expect(f.rule).toBeNull();
    if (f.layer) {
      expect(f.layer.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(typeof f.layer.createdBy).toBe("string");
    }
  }
  const secretFile = result.findings.find((f) => f.path === "app/secret.txt");
  expect(secretFile?.layer?.createdBy).toContain("COPY secret.txt");
  expect(JSON.stringify(result)).not.toContain(TOKEN.slice(10));
}
