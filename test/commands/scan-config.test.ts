import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import type { ScanOptions } from "../../src/commands/context.js";
import { scanCommand } from "../../src/commands/scan.js";
import { isSafebuildError } from "../../src/errors.js";
import type { ScanResult } from "../../src/scan/findings/finding.js";
import type { ScanRequest } from "../../src/scan/scan-image.js";
import { findingOf, resultWith } from "../report/sample-results.js";
import { fakeContext } from "./scan-test-context.js";

const scanImage = vi.hoisted(() => vi.fn<(request: ScanRequest) => Promise<ScanResult>>());
vi.mock("../../src/scan/scan-image.js", () => ({ scanImage }));

let dir: string;
const value = randomBytes(24).toString("base64url");
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "sbtest-scancfg-"));
  await writeFile(path.join(dir, "npmrc.txt"), value);
  scanImage.mockReset();
  // Findings named after the config's secret id.
  scanImage.mockResolvedValue(resultWith([findingOf.file, findingOf.label]));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const options = (over: Partial<ScanOptions> = {}): ScanOptions => ({
  image: "app:1",
  secrets: [],
  platform: undefined,
  config: undefined,
  format: "json",
  report: undefined,
  ...over,
});

interface Report {
  readonly secrets: unknown[];
  readonly findings: { path: string }[];
  readonly ignored: { path: string; reason: string }[];
}

describe("scan with safebuild.yml", () => {
  test.each([
    ["no policy", "", 1, ["app/.npmrc", "Labels.token"], []],
    [
      "an ignore rule: the finding is reported as ignored, with its reason",
      "scan:\n  ignore:\n    - secret: npmrc\n      path: app/*\n      reason: test fixture\n",
      1,
      ["Labels.token"],
      ["app/.npmrc"],
    ],
    [
      "every finding ignored: exit 0",
      "scan:\n  ignore:\n    - secret: '*'\n      path: '**'\n      reason: audit only\n",
      0,
      [],
      ["app/.npmrc", "Labels.token"],
    ],
    ["failOn none: reported, exit 0", "scan:\n  failOn: none\n", 0, ["app/.npmrc", "Labels.token"], []],
    ["failOn env only: a file and a label do not fail", "scan:\n  failOn: [env]\n", 0, ["app/.npmrc", "Labels.token"], []],
  ] as [string, string, number, string[], string[]][])("%s", async (_name, policy, code, kept, ignored) => {
    await writeFile(path.join(dir, "safebuild.yml"), `secrets:\n  npmrc: ./npmrc.txt\n${policy}`);
    const ctx = fakeContext({ cwd: dir });
    // The current directory's file is a repository config: its policy applies only when allowed.
    expect(await scanCommand(options({ allow: ["policy"] }), ctx)).toBe(code);
    const report = JSON.parse(ctx.stdout()) as Report;
    expect(report.secrets).toEqual([{ id: "npmrc", source: "file" }]);
    expect(report.findings.map((f) => f.path)).toEqual(kept);
    expect(report.ignored.map((f) => f.path)).toEqual(ignored);
    for (const i of report.ignored) expect(i.reason).toMatch(/fixture|audit/);
    expect(ctx.stdout() + ctx.stderr()).not.toContain(value);
  });

  test("text shows ignored findings in their own section", async () => {
    await writeFile(
      path.join(dir, "safebuild.yml"),
      "secrets:\n  npmrc: ./npmrc.txt\nscan:\n  ignore:\n    - path: app/.npmrc\n      reason: known fixture\n",
    );
    const ctx = fakeContext({ cwd: dir });
    expect(await scanCommand(options({ format: "text", allow: ["policy"] }), ctx)).toBe(1);
    expect(ctx.stderr()).toContain("Ignored by policy (1):");
    expect(ctx.stderr()).toContain("reason: known fixture");
  });

  test("the current directory's policy without --allow policy: not applied, one warning, the leak fails", async () => {
    await writeFile(path.join(dir, "safebuild.yml"), "secrets:\n  npmrc: ./npmrc.txt\nscan:\n  failOn: none\n");
    const ctx = fakeContext({ cwd: dir });
    expect(await scanCommand(options(), ctx)).toBe(1);
    expect(ctx.warnings).toEqual([expect.stringMatching(/^safebuild\.yml:3: the scan policy of a config inside the repository being built \(failOn: none\) is not applied: .* --allow policy/)]);
  });

  test("the same policy in a --config outside the scanned folder: the operator's, applied", async () => {
    const operator = await mkdtemp(path.join(os.tmpdir(), "sbtest-scancfg-op-"));
    try {
      await writeFile(path.join(operator, "policy.yml"), `secrets:\n  npmrc: ${path.join(dir, "npmrc.txt")}\nscan:\n  failOn: none\n`);
      const ctx = fakeContext({ cwd: dir });
      expect(await scanCommand(options({ config: path.join(operator, "policy.yml") }), ctx)).toBe(0);
      expect(ctx.warnings).toEqual([]);
    } finally {
      await rm(operator, { recursive: true, force: true });
    }
  });

  test("a cmd: secret in the current directory's file without --allow cmd: exit 2 naming the allow; nothing runs, nothing is scanned", async () => {
    await writeFile(path.join(dir, "safebuild.yml"), `secrets:\n  npmrc: ./npmrc.txt\n  op: cmd:touch ${path.join(dir, "marker")}; echo x\n`);
    const ctx = fakeContext({ cwd: dir });
    const error = await scanCommand(options(), ctx).catch((e: unknown) => e);
    expect(isSafebuildError(error) && error.exitCode).toBe(2);
    expect((error as Error).message).toMatch(/^safebuild\.yml:3: secret op runs a command on this host \(cmd:\); .* only with --allow cmd$/);
    expect(existsSync(path.join(dir, "marker"))).toBe(false);
    expect(scanImage).not.toHaveBeenCalled();
    const allowed = fakeContext({ cwd: dir });
    expect(await scanCommand(options({ allow: ["cmd"] }), allowed)).toBe(1);
    expect(existsSync(path.join(dir, "marker"))).toBe(true);
  });

  test("--secret adds to the file's secrets", async () => {
    await writeFile(path.join(dir, "safebuild.yml"), "secrets:\n  npmrc: ./npmrc.txt\n");
    await writeFile(path.join(dir, "other"), randomBytes(16).toString("hex"));
    const ctx = fakeContext({ cwd: dir });
    await scanCommand(options({ secrets: ["other=other"] }), ctx);
    expect((JSON.parse(ctx.stdout()) as Report).secrets).toEqual([
      { id: "npmrc", source: "file" },
      { id: "other", source: "file" },
    ]);
  });

  test("a missing --config is a usage error", async () => {
    const ctx = fakeContext({ cwd: dir });
    const error = await scanCommand(options({ config: "nope.yml", secrets: ["x=npmrc.txt"] }), ctx).catch((e: unknown) => e);
    expect(isSafebuildError(error) && error.exitCode).toBe(2);
    expect(scanImage).not.toHaveBeenCalled();
  });

  test("no secret anywhere and --no-rules: the usage error mentions both places", async () => {
    const ctx = fakeContext({ cwd: dir });
    const error = await scanCommand({ ...options(), rules: false }, ctx).catch((e: unknown) => e);
    expect(isSafebuildError(error) && error.message).toMatch(/--secret .* or a secrets: entry in safebuild\.yml/);
  });
});
