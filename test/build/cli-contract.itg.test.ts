import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { docker, DOCKER, engineAnswers, removeImages, runCli } from "./cli.js";

// Issue 18's build-side points against the real engine (docker 20.10's built-in BuildKit).
const hasEngine = engineAnswers();
const work = mkdtempSync(join(tmpdir(), "sbtest-cli-contract-itg-"));
const tags: string[] = [];
afterAll(() => {
  removeImages(tags);
  rmSync(work, { recursive: true, force: true });
});
const known: string[] = [];
const tag = (): string => {
  const t = `cli-contract-${randomBytes(5).toString("hex")}`;
  tags.push(t);
  return t;
};
const BASE = ["--build-arg", "BASE=local/busybox:1"];

function context(dockerfile: string): string {
  const dir = mkdtempSync(join(work, "ctx-"));
  writeFileSync(join(dir, "Dockerfile"), dockerfile);
  return dir;
}

describe.runIf(hasEngine)(`build: docker's words, the verdict line (${DOCKER})`, () => {
  const cli = (args: readonly string[], env: Record<string, string> = {}) => runCli([...args, "--docker", DOCKER], { env, secrets: known, cwd: work });

  test("--format sarif --report FILE with a leak: exit 1, nothing on stdout, the verdict on stderr names secret and place", async () => {
    const value = `sbtok-${randomBytes(24).toString("base64url")}`;
    known.push(value);
    const npmrc = join(work, "npmrc");
    writeFileSync(npmrc, `//npm.acme.example/:_authToken=${value}\n`);
    const report = join(work, "safebuild.sarif");
    const run = await cli(["--secret", `npmrc=${npmrc}`, ...BASE, "-t", tag(), "--no-cache", "--format", "sarif", "--report", report, join(process.cwd(), "examples/leaky")]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toBe("");
    const last = run.stderr.trimEnd().split("\n").at(-1);
    expect(last).toMatch(new RegExp(`^LEAK: \\d+ findings? of npmrc \\(.*app/\\.npmrc-backup.*\\); report in ${report.replace(/[.]/g, "\\.")}$`));
    expect((JSON.parse(readFileSync(report, "utf8")) as { version: string }).version).toBe("2.1.0");
    expect(run.stderr + run.stdout).not.toContain(value);
  });

  test("-o type=docker,name=TAG: the image lands in the engine, tagged, and is audited", async () => {
    const value = `sbtok-${randomBytes(24).toString("base64url")}`;
    known.push(value);
    const image = tag();
    const dir = context("ARG BASE\nFROM $BASE\nRUN --mount=type=secret,id=tok test -s /run/secrets/tok && echo ok > /done\n");
    const run = await cli(["--secret", "tok=env:SBTEST_TOK", ...BASE, "-o", `type=docker,name=${image}`, dir], { SBTEST_TOK: value });
    expect(run.code, run.stderr).toBe(0);
    expect(docker(["image", "inspect", image]).status).toBe(0);
    expect(run.stderr.trimEnd().split("\n").at(-1)).toMatch(/^OK: 1 secret and \d+ pattern rules checked in \d+ layers$/);
    expect(readdirSync(dir)).toEqual(["Dockerfile"]);
  });

  test("-- --bogus: docker's own usage error is exit 2 (a usage error), not 3 (a failed build)", async () => {
    const run = await cli([...BASE, "--no-scan", context("ARG BASE\nFROM $BASE\n"), "--", "--bogus"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown flag: --bogus");
    expect(run.stderr).toMatch(/safebuild: the builder rejected its arguments: .* exited with status 125/);
  });

  test("no secret given and --no-rules: the build is scanned but the verdict says NOTHING CHECKED, not OK", async () => {
    const run = await cli([...BASE, "--no-rules", "-t", tag(), context("ARG BASE\nFROM $BASE\nRUN echo hi > /x\n")]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr.trimEnd().split("\n").at(-1)).toBe("NOTHING CHECKED: no secrets given (--secret ID=REF, or secrets: in safebuild.yml)");
    expect(run.stderr).not.toContain("OK:");
  });

  test("no secret given: the pattern rules still check the build, the verdict says so", async () => {
    const run = await cli([...BASE, "-t", tag(), context("ARG BASE\nFROM $BASE\nRUN echo hi > /x\n")]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr.trimEnd().split("\n").at(-1)).toMatch(/^OK: \d+ pattern rules checked in \d+ layers$/);
  });
});
