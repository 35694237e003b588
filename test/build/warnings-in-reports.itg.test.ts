import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { DOCKER, engineAnswers, removeImages, runCli } from "./cli.js";

// Every warning safebuild prints on stderr is also in the JSON and SARIF reports (issue 18):
// a CI job that keeps only the report still sees it. Here the Dockerfile check's warning about
// a secret given but mounted nowhere, which is printed before the build, long before the scan.
const hasEngine = engineAnswers();
const work = mkdtempSync(join(tmpdir(), "sbtest-warnings-"));
const image = `sbtest-warnings-${randomBytes(5).toString("hex")}`;
const secret = `sbtok-${randomBytes(24).toString("base64url")}`;
afterAll(() => {
  removeImages([image]);
  rmSync(work, { recursive: true, force: true });
});

interface Sarif {
  runs: { invocations?: { toolExecutionNotifications: { level: string; message: { text: string } }[] }[] }[];
}

describe.runIf(hasEngine)(`warnings reach the reports (${DOCKER})`, () => {
  writeFileSync(join(work, "Dockerfile"), "FROM local/busybox:1\nRUN true\n");
  const build = (format: string) =>
    runCli(["build", "--secret", "unused=env:SBTEST_UNUSED", "-t", image, "--docker", DOCKER, "--format", format, work], { env: { SBTEST_UNUSED: secret }, secrets: [secret] });
  const WARNING = /secret "unused" is not mounted[^\n]*/;

  test("json: the stderr warning is in warnings", async () => {
    const run = await build("json");
    expect(run.code, run.stderr).toBe(0);
    const printed = WARNING.exec(run.stderr.toString())?.[0];
    expect(printed, run.stderr.toString()).toBeDefined();
    expect((JSON.parse(run.stdout.toString()) as { warnings: string[] }).warnings).toContain(printed);
  }, 120_000);

  test("sarif: the stderr warning is a warning-level tool notification", async () => {
    const run = await build("sarif");
    expect(run.code, run.stderr).toBe(0);
    const printed = WARNING.exec(run.stderr.toString())?.[0];
    const notes = (JSON.parse(run.stdout.toString()) as Sarif).runs[0]?.invocations?.[0]?.toolExecutionNotifications ?? [];
    expect(notes).toContainEqual(expect.objectContaining({ level: "warning", message: { text: printed } }));
  }, 120_000);
});
