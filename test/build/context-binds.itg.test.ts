import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { DOCKER, engineAnswers, removeImages, runCli } from "./cli.js";

// A context file holding a secret, bind-mounted into a RUN: a warning on the RUN line before the
// build (the step can read it); the mount leaves no layer, and a step that writes it into the
// image is the audit's LEAK on that same line (docs/dockerfile-checks.md).
const hasEngine = engineAnswers();
const work = mkdtempSync(join(tmpdir(), "sbtest-binds-"));
const tags: string[] = [];
afterAll(() => {
  removeImages(tags);
  rmSync(work, { recursive: true, force: true });
});
const TOKEN = `sbtok-${randomBytes(24).toString("base64url")}`;

async function build(run: string) {
  const dir = mkdtempSync(join(work, "ctx-"));
  writeFileSync(join(dir, "token.txt"), TOKEN);
  writeFileSync(join(dir, ".dockerignore"), "token.txt\n");
  writeFileSync(join(dir, "app.env"), `API=${TOKEN}\n`);
  writeFileSync(join(dir, "Dockerfile"), `FROM local/busybox:1\n${run}\n`);
  const image = `sbtest-bind-${randomBytes(5).toString("hex")}`;
  tags.push(image);
  const result = await runCli(["build", "--docker", DOCKER, "--secret", "tok=token.txt", "--no-cache", "-t", image, "--format", "json", "."], { cwd: dir, secrets: [TOKEN] });
  return { ...result, report: JSON.parse(result.stdout.toString() || "{}") as { findings?: { path: string; dockerfile?: { line: number } }[]; prechecks?: { findings: { kind: string; severity: string; path: string; dockerfile: { line: number } | null }[] } } };
}

describe.runIf(hasEngine)(`RUN --mount=type=bind of the build context (${DOCKER})`, () => {
  test("a step that only reads the file: a warning on the RUN line, the build runs, the image is clean", async () => {
    const run = await build("RUN --mount=type=bind,target=/src grep -q API= /src/app.env");
    expect(run.stderr.toString()).toContain("build context: app.env holds secret \"tok\" (raw): bind-mounted into RUN --mount=type=bind at ./Dockerfile:2");
    expect(run.code, run.stderr.toString()).toBe(0);
    expect(run.report.prechecks?.findings.filter((f) => f.kind === "context-file").map((f) => [f.severity, f.path, f.dockerfile?.line])).toEqual([["warning", "app.env", 2]]);
    expect(run.report.findings).toEqual([]);
  });

  test("a step that writes it into the image: the same warning before, the audit's LEAK on that line after", async () => {
    const run = await build("RUN --mount=type=bind,source=app.env,target=/in/app.env cp /in/app.env /leaked.env");
    expect(run.stderr.toString()).toContain("bind-mounted into RUN --mount=type=bind at ./Dockerfile:2");
    expect(run.code).toBe(1);
    expect(run.report.findings?.map((f) => [f.path, f.dockerfile?.line])).toEqual([["leaked.env", 2]]);
  });
});
