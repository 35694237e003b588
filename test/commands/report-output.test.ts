import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { ReportFormat } from "../../src/commands/context.js";
import { noColor, writeReport } from "../../src/commands/report-output.js";
import { isSafebuildError } from "../../src/errors.js";
import { SecretValue } from "../../src/secrets/secret-value.js";
import { findingOf, inputWith } from "../report/sample-results.js";
import { fakeContext } from "./scan-test-context.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "sbtest-report-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("writeReport", () => {
  test.each([
    ["text", "err", "Scanned app:1"],
    ["json", "out", '"schemaVersion": 1'],
    ["sarif", "out", '"version": "2.1.0"'],
  ] as [ReportFormat, "out" | "err", string][])("%s goes to std%s", async (format, stream, marker) => {
    const ctx = fakeContext();
    await writeReport(inputWith([findingOf.file]), { format, report: undefined }, ctx);
    expect(stream === "out" ? ctx.stdout() : ctx.stderr()).toContain(marker);
    if (stream === "err") expect(ctx.stdout()).toBe("");
    // Whatever the format, stderr ends with the verdict, once (issue 18: a sarif leak was silent).
    expect(ctx.stderr()).toMatch(/(^|\n)LEAK: 1 finding of npmrc \(layer 2 app\/\.npmrc\)\n$/);
    expect(ctx.stderr().match(/LEAK:/g)).toHaveLength(1);
  });

  test.each(["text", "json", "sarif"] as ReportFormat[])("--report FILE: %s written whole, 0644, nothing on stdout", async (format) => {
    const ctx = fakeContext({ cwd: dir });
    await writeReport(inputWith([findingOf.file]), { format, report: "report.out" }, ctx);
    const file = path.join(dir, "report.out");
    expect((await stat(file)).mode & 0o777).toBe(0o644);
    const text = await readFile(file, "utf8");
    expect(text).toContain("app/.npmrc");
    expect(text).not.toContain("\u001b[");
    expect(ctx.stdout()).toBe("");
    expect(ctx.stderr()).toBe("LEAK: 1 finding of npmrc (layer 2 app/.npmrc); report in report.out\n");
    expect(await readdir(dir)).toEqual(["report.out"]);
  });

  test.each(["text", "json", "sarif"] as ReportFormat[])("%s: a value the image recorded is masked in the file too", async (format) => {
    const ctx = fakeContext({ cwd: dir });
    // a fixed value: a random one can share an encoding's piece with the text around it (the masker then masks or holds more)
    const value = "Rt4yU8iO2pA6sD0fG3hJ7kL9zX1cV5bN";
    ctx.masker.add("token", SecretValue.copyOf(Buffer.from(value)));
    const f = { ...findingOf.history, layer: { index: 3, digest: "sha256:00", createdBy: `RUN |1 TOKEN=${value} make` } };
    await writeReport(inputWith([f]), { format, report: "r.out" }, ctx);
    const text = await readFile(path.join(dir, "r.out"), "utf8");
    expect(text).not.toContain(value);
    expect(text).toContain("TOKEN=***");
  });

  test("--report replaces an existing file", async () => {
    const ctx = fakeContext({ cwd: dir });
    await writeReport(inputWith([findingOf.file]), { format: "json", report: "r.json" }, ctx);
    await writeReport(inputWith([]), { format: "json", report: "r.json" }, ctx);
    expect(JSON.parse(await readFile(path.join(dir, "r.json"), "utf8"))).toMatchObject({ findings: [] });
  });

  test("an unwritable --report is an input error (exit 2) naming the file", async () => {
    const ctx = fakeContext({ cwd: dir });
    const error = await writeReport(inputWith([]), { format: "json", report: "no/such/dir/r.json" }, ctx).catch((e: unknown) => e);
    expect(isSafebuildError(error) && error.exitCode).toBe(2);
    expect(String((error as Error).message)).toBe("cannot write the report to no/such/dir/r.json: no such file");
  });

  test.each([
    [true, {}, true],
    [true, { NO_COLOR: "1" }, false],
    [true, { NO_COLOR: "" }, true],
    [false, {}, false],
  ] as [boolean, NodeJS.ProcessEnv, boolean][])("text colour: interactive=%s env=%j → %s", async (interactive, env, coloured) => {
    const ctx = fakeContext({ interactive, env });
    await writeReport(inputWith([findingOf.file]), { format: "text", report: undefined }, ctx);
    expect(ctx.stderr().includes("\u001b[")).toBe(coloured);
  });

  test("json is never coloured, even on a terminal", async () => {
    const ctx = fakeContext({ interactive: true });
    await writeReport(inputWith([findingOf.file]), { format: "json", report: undefined }, ctx);
    expect(ctx.stdout()).not.toContain("\u001b[");
  });

  test("noColor follows no-color.org", () => {
    expect(noColor({ NO_COLOR: "0" })).toBe(true);
    expect(noColor({})).toBe(false);
  });
});
