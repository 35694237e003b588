import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { docker, DOCKER, engineAnswers, removeImages, runCli } from "./cli.js";

// Which context files a COPY takes decides error (taken into the image) or warning (only sent to
// the builder). The engine's own build is the referee: what safebuild says a glob takes must be
// exactly what lands in the image (src/precheck/copy-glob.ts; `**` is not special in COPY).
const hasEngine = engineAnswers();
const work = mkdtempSync(join(tmpdir(), "sbtest-copyglob-"));
const tags: string[] = [];
afterAll(() => {
  removeImages(tags);
  rmSync(work, { recursive: true, force: true });
});
const TOKEN = `sbtok-${randomBytes(24).toString("base64url")}`;

describe.runIf(hasEngine)(`COPY globs: safebuild's verdict matches what the build copies (${DOCKER})`, () => {
  test("COPY [ab]*.env, **/*.cfg and [!c]*.txt: the files called taken are exactly those in the image", async () => {
    const dir = mkdtempSync(join(work, "ctx-"));
    const files = ["a1.env", "b.env", "c.env", "ab/x.env", "top.cfg", "s/mid.cfg", "s/t/deep.cfg", "a.txt", "c.txt", "!.txt"];
    for (const f of files) {
      mkdirSync(dirname(join(dir, f)), { recursive: true });
      writeFileSync(join(dir, f), `K=${TOKEN}\n`);
    }
    writeFileSync(join(dir, "token.txt"), TOKEN);
    writeFileSync(join(dir, ".dockerignore"), "token.txt\n");
    writeFileSync(join(dir, "Dockerfile"), "FROM local/busybox:1\nCOPY [ab]*.env /one/\nCOPY **/*.cfg /two/\nCOPY [!c]*.txt /three/\n");
    const cli = (args: readonly string[]) => runCli(args, { cwd: dir, secrets: [TOKEN] });

    const checked = await cli(["check", "--secret", "tok=token.txt", "--format", "json", "."]);
    expect(checked.code).toBe(2);
    const report = JSON.parse(checked.stdout.toString()) as { findings: { path: string; severity: string; dockerfile: { line: number } | null }[] };
    const verdict = Object.fromEntries(report.findings.map((f) => [f.path, [f.severity, f.dockerfile?.line ?? null]]));
    expect(verdict).toEqual({
      "a1.env": ["error", 2],
      "b.env": ["error", 2],
      "c.env": ["warning", null],
      // ab/ is a directory: [ab]* matches it by name but *.env is one element, so it is not taken
      "ab/x.env": ["warning", null],
      "top.cfg": ["warning", null],
      "s/mid.cfg": ["error", 3],
      "s/t/deep.cfg": ["warning", null],
      // Go's classes negate with ^ only: [!c] is the class of ! and c
      "a.txt": ["warning", null],
      "c.txt": ["error", 4],
      "!.txt": ["error", 4],
    });

    // accept the errors and let the engine build: the image holds exactly the files called taken
    const config = join(mkdtempSync(join(work, "cfg-")), "safebuild.yml");
    writeFileSync(config, `scan:\n  ignore:\n${["a1.env", "b.env", "s/mid.cfg", "c.txt", "'!.txt'"].map((p) => `    - path: ${p}\n      reason: the test's referee build\n`).join("")}`);
    const image = `sbtest-copyglob-${randomBytes(5).toString("hex")}`;
    tags.push(image);
    const built = await cli(["build", "--docker", DOCKER, "--config", config, "--secret", "tok=token.txt", "--no-scan", "-t", image, "."]);
    expect(built.code, built.stderr.toString()).toBe(0);
    const listed = docker(["run", "--rm", image, "sh", "-c", "cd / && find one two three -type f | sort"]);
    expect(listed.stdout.trim().split("\n")).toEqual(["one/a1.env", "one/b.env", "three/!.txt", "three/c.txt", "two/mid.cfg"]);
  });
});

// A context file holding a secret, bind-mounted into a RUN: a warning on the RUN line before the
// build (the step can read it); the mount leaves no layer, and a step that writes it into the
// image is the audit's LEAK on that same line (docs/dockerfile-checks.md).
async function build(run: string) {
  const dir = mkdtempSync(join(work, "ctx-"));
  writeFileSync(join(dir, "token.txt"), TOKEN);
  writeFileSync(join(dir, ".dockerignore"), "token.txt\n");
  writeFileSync(join(dir, "app.env"), `API=${TOKEN}\n`);
  writeFileSync(join(dir, "Dockerfile"), `FROM local/busybox:1\n${run}\n`);
  const image = `sbtest-copyglob-${randomBytes(5).toString("hex")}`;
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
