import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, test, vi } from "vitest";
import type { ScanOptions } from "../../src/commands/context.js";
import { scanCommand } from "../../src/commands/scan.js";
import { isSafebuildError } from "../../src/errors.js";
import type { ScanResult } from "../../src/scan/findings/finding.js";
import type { ScanRequest } from "../../src/scan/scan-image.js";
import { findingOf, resultWith } from "../report/sample-results.js";
import { fakeContext } from "./scan-test-context.js";

const scanImage = vi.hoisted(() => vi.fn<(request: ScanRequest) => Promise<ScanResult>>());
vi.mock("../../src/scan/scan-image.js", () => ({ scanImage }));

const value = randomBytes(24).toString("base64url");
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "sbtest-scancmd-"));
  await writeFile(path.join(dir, "tok"), value);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  scanImage.mockReset();
});

const options = (over: Partial<ScanOptions> = {}): ScanOptions => ({
  image: "app:1",
  secrets: ["tok=tok"],
  platform: undefined,
  config: undefined,
  format: "json",
  report: undefined,
  ...over,
});

async function failure(promise: Promise<unknown>): Promise<{ exitCode: number; message: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isSafebuildError(error)) throw new Error(`expected a SafebuildError, got ${String(error)}`);
  return { exitCode: error.exitCode, message: error.message };
}

describe("scan command", () => {
  test.each([
    ["findings", [findingOf.file], 1],
    ["no findings", [], 0],
  ] as const)("%s → exit %d, secrets wiped afterwards", async (_name, findings, code) => {
    const ctx = fakeContext({ cwd: dir, env: { HOME: dir } });
    let seen: ScanRequest | undefined;
    scanImage.mockImplementation(async (request) => {
      seen = request;
      expect(request.secrets.map((s) => [s.id, s.kind, s.value.wiped])).toEqual([["tok", "file", false]]);
      return resultWith(findings);
    });
    expect(await scanCommand(options({ platform: "linux/arm64" }), ctx)).toBe(code);
    expect(seen?.ref).toBe("app:1");
    expect(seen?.platform).toBe("linux/arm64");
    expect(seen?.cwd).toBe(dir);
    expect(seen?.signal).toBe(ctx.signal);
    expect(seen?.progress).toBeUndefined();
    expect(seen?.secrets.every((s) => s.value.wiped)).toBe(true);
    const report = JSON.parse(ctx.stdout()) as { secrets: unknown; findings: unknown[] };
    expect(report.secrets).toEqual([{ id: "tok", source: "file" }]);
    expect(report.findings).toHaveLength(findings.length);
    expect(ctx.stdout() + ctx.stderr()).not.toContain(value);
  });

  test("no --secret with --no-rules is a usage error: nothing to look for", async () => {
    const ctx = fakeContext({ cwd: dir });
    expect(await failure(scanCommand({ ...options({ secrets: [] }), rules: false }, ctx))).toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/^scan with --no-rules needs at least one --secret/),
    });
    expect(scanImage).not.toHaveBeenCalled();
  });

  test("no --secret: the pattern rules run alone, and a clean image is OK, not NOTHING CHECKED", async () => {
    const ctx = fakeContext({ cwd: dir });
    scanImage.mockResolvedValue(resultWith([]));
    expect(await scanCommand(options({ secrets: [], format: "text" }), ctx)).toBe(0);
    expect(scanImage.mock.calls[0]?.[0].rules?.length).toBeGreaterThan(10);
    expect(ctx.stderr()).toMatch(/\nOK: \d+ pattern rules checked in \d+ layers?\n$/);
  });

  test("a bad spec is a usage error before anything is read", async () => {
    const ctx = fakeContext({ cwd: dir });
    expect((await failure(scanCommand(options({ secrets: ["nonsense"] }), ctx))).exitCode).toBe(2);
    expect(scanImage).not.toHaveBeenCalled();
  });

  test("a secret that cannot be resolved is exit 2 and the scan does not run", async () => {
    const ctx = fakeContext({ cwd: dir });
    expect((await failure(scanCommand(options({ secrets: ["gone=missing-file"] }), ctx))).exitCode).toBe(2);
    expect(scanImage).not.toHaveBeenCalled();
  });

  test("a scan error propagates, secrets still wiped", async () => {
    const ctx = fakeContext({ cwd: dir });
    let secrets: ScanRequest["secrets"] = [];
    scanImage.mockImplementation(async (request) => {
      secrets = request.secrets;
      const { inputError } = await import("../../src/errors.js");
      throw inputError("cannot read nope.tar: no such file");
    });
    expect(await failure(scanCommand(options({ image: "nope.tar" }), ctx))).toEqual({ exitCode: 2, message: "cannot read nope.tar: no such file" });
    expect(secrets.every((s) => s.value.wiped)).toBe(true);
  });

  test("a signal during the scan is an interrupted error, whatever the scan threw", async () => {
    const ctx = fakeContext({ cwd: dir });
    scanImage.mockImplementation(async () => {
      ctx.controller.abort();
      throw new Error("The operation was aborted");
    });
    expect(await failure(scanCommand(options(), ctx))).toEqual({ exitCode: 143, message: "interrupted by SIGTERM" });
  });

  test("warnings go to io.warn; text report to stderr", async () => {
    const ctx = fakeContext({ cwd: dir });
    scanImage.mockResolvedValue(resultWith([], { warnings: ["secret short is 4 bytes: too short to scan, skipped"] }));
    expect(await scanCommand(options({ format: "text" }), ctx)).toBe(0);
    expect(ctx.warnings).toEqual(["secret short is 4 bytes: too short to scan, skipped"]);
    expect(ctx.stderr()).toMatch(/\nOK: \d+ secrets? and \d+ pattern rules checked in \d+ layers?\n$/);
    expect(ctx.stdout()).toBe("");
  });

  test("interactive: progress shown while scanning, erased before the report", async () => {
    const ctx = fakeContext({ cwd: dir, interactive: true, env: { NO_COLOR: "1" } });
    scanImage.mockImplementation(async (request) => {
      request.progress?.read(5 * 1024 * 1024);
      return resultWith([]);
    });
    expect(await scanCommand(options({ format: "text" }), ctx)).toBe(0);
    const err = ctx.stderr();
    expect(err).toContain("scanning app:1  5.0 MiB read");
    expect(err.indexOf("\r\u001b[K", err.indexOf("5.0 MiB"))).toBeLessThan(err.indexOf("Scanned app:1"));
  });

  test("a value that the image echoes into the report is masked", async () => {
    const ctx = fakeContext({ cwd: dir });
    scanImage.mockResolvedValue(
      resultWith([{ ...findingOf.history, layer: { index: 0, digest: "sha256:00", createdBy: `RUN |1 T=${value} sh` }, path: `x/${value}` }]),
    );
    for (const format of ["text", "json", "sarif"] as const) {
      expect(await scanCommand(options({ format }), ctx)).toBe(1);
    }
    expect(ctx.stdout() + ctx.stderr()).not.toContain(value);
    expect(ctx.stdout()).toContain("***");
  });
});
