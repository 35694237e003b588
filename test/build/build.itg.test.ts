import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { docker, DOCKER, engineAnswers, removeImages, runCli, type CliRun } from "./cli.js";

// The real CLI against the real engine. Every test asserts that no secret value appears
// in anything safebuild printed.
const hasEngine = engineAnswers();
const work = mkdtempSync(join(tmpdir(), "sbtest-build-itg-"));
const tags: string[] = [];
afterAll(() => {
  removeImages(tags);
  rmSync(work, { recursive: true, force: true });
});

const BASE = ["--build-arg", "BASE=local/busybox:1"];
const sha = (bytes: Buffer | string): string => createHash("sha256").update(bytes).digest("hex");
/** Every value this file made up: each run hands them all to the suite's output audit. */
const known: string[] = [];
const token = (): string => {
  const value = `sbtok-${randomBytes(24).toString("base64url")}`;
  known.push(value);
  return value;
};
const tag = (): string => {
  const t = `sbtest-build-${randomBytes(5).toString("hex")}`;
  tags.push(t);
  return t;
};

/** A context whose RUN writes the sha256 of each mounted secret into the image. */
function hashingContext(ids: readonly string[], extra = ""): string {
  const dir = mkdtempSync(join(work, "ctx-"));
  const runs = ids.map((id) => `RUN --mount=type=secret,id=${id},required=true sha256sum /run/secrets/${id} | cut -d' ' -f1 > /${id}.sha`);
  writeFileSync(join(dir, "Dockerfile"), ["ARG BASE=local/busybox:1", "FROM $BASE", ...runs, extra, ""].join("\n"));
  return dir;
}

function expectNoSecret(run: CliRun, ...values: readonly (string | Buffer)[]): void {
  for (const value of values) {
    const text = value.toString().replace(/\n$/, "");
    expect(run.stdout).not.toContain(text);
    expect(run.stderr).not.toContain(text);
  }
}

const imageFile = (image: string, path: string): string => docker(["run", "--rm", image, "cat", path]).stdout.trim();

describe.runIf(hasEngine)(`safebuild build against the engine (${DOCKER})`, () => {
  const cli = (args: readonly string[], env: Record<string, string | undefined> = {}, cwd?: string) =>
    runCli([...args, "--docker", DOCKER], { env, secrets: known, ...(cwd === undefined ? {} : { cwd }) });

  test("the private-npm example builds clean (exit 0) and the scan finds nothing", async () => {
    const npmrc = join(work, "npmrc");
    const value = token();
    writeFileSync(npmrc, `@acme:registry=https://npm.acme.example/\n//npm.acme.example/:_authToken=${value}\n`);
    const image = tag();
    const noScan = await cli(["build", "--secret", `npmrc=${npmrc}`, ...BASE, "-t", image, "--no-cache", "--no-scan", "examples/private-npm"]);
    expect(noScan.code, noScan.stderr).toBe(0);
    expect(noScan.stderr).toMatch(/npmrc sha256: [0-9a-f]{64}/);
    expectNoSecret(noScan, value);
    const scanned = await cli(["--secret", `npmrc=${npmrc}`, ...BASE, "-t", image, "examples/private-npm"]);
    expect(scanned.code, scanned.stderr).toBe(0);
    // Same Dockerfile, same context: BuildKit reuses the secret step, and safebuild says so.
    expect(scanned.stderr).toMatch(/step \[4\/4\] \(RUN with a secret mount\) came from the build cache/);
    expectNoSecret(scanned, value);
  });

  test("the leaky example is caught by the scan after the build (exit 1)", async () => {
    const npmrc = join(work, "npmrc-leaky");
    const value = token();
    writeFileSync(npmrc, `//npm.acme.example/:_authToken=${value}\n`);
    const run = await cli(["build", "--secret", `npmrc=${npmrc}`, ...BASE, "-t", tag(), "--no-cache", "--format", "json", "examples/leaky"]);
    expect(run.code, run.stderr).toBe(1);
    const report = JSON.parse(run.stdout) as { findings: { secret: string; path: string }[] };
    expect(report.findings.some((f) => f.secret === "npmrc" && f.path === "app/.npmrc-backup")).toBe(true);
    expectNoSecret(run, value);
  });

  test("env, docker-form env, file, ~ and dotenv sources each reach the build", async () => {
    const home = mkdtempSync(join(work, "home-"));
    const values = { e: token(), d: token(), f: `${token()}\n`, h: `${token()}\n`, v: token() };
    writeFileSync(join(work, "f.txt"), values.f);
    mkdirSync(join(home, ".config"));
    writeFileSync(join(home, ".config", "h.txt"), values.h);
    writeFileSync(join(work, "app.env"), `OTHER=nothing\nTOKEN="${values.v}"\n`);
    const ids = Object.keys(values);
    const image = tag();
    const run = await cli(
      [
        "--secret", "e=env:SBTEST_E",
        "--secret", "id=d,env=SBTEST_D",
        "--secret", `f=${join(work, "f.txt")}`,
        "--secret", "h=~/.config/h.txt",
        "--secret", `v=dotenv:${join(work, "app.env")}#TOKEN`,
        ...BASE, "-t", image, "--no-cache", "--no-scan", hashingContext(ids),
      ],
      { SBTEST_E: values.e, SBTEST_D: values.d, HOME: home },
    );
    expect(run.code, run.stderr).toBe(0);
    for (const [id, value] of Object.entries(values)) expect(imageFile(image, `/${id}.sha`), id).toBe(sha(value));
    expectNoSecret(run, ...Object.values(values));
  });

  test("--iidfile receives the image id that was built", async () => {
    const value = token();
    const iid = join(work, "iid.txt");
    const run = await cli(["--secret", "s=env:SBTEST_S", ...BASE, "--no-scan", "--iidfile", iid, hashingContext(["s"])], { SBTEST_S: value });
    expect(run.code, run.stderr).toBe(0);
    const id = readFileSync(iid, "utf8");
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(docker(["image", "inspect", id]).status).toBe(0);
    tags.push(id);
    expectNoSecret(run, value);
  });

  test.each([
    ["an unset env var", ["--secret", "gone=env:SBTEST_UNSET_VAR"], "gone"],
    ["a missing file", ["--secret", "nofile=/nonexistent/sbtest"], "nofile"],
    ["a required mount without a secret", ["--secret", "s=env:SBTEST_S"], "need"],
  ])("bad input exits 2 naming the id: %s", async (_name, args, id) => {
    const value = token();
    const ctx = hashingContext(["s", "need"]);
    const run = await cli([...args, ...BASE, "--no-scan", ctx], { SBTEST_S: value });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(id);
    expect(run.stderr.trim().split("\n").filter((l) => l.startsWith("safebuild:") && !l.includes("warning"))).toHaveLength(1);
    expectNoSecret(run, value);
  });

  test("an empty secret exits 2", async () => {
    writeFileSync(join(work, "empty"), "");
    const run = await cli(["--secret", `s=${join(work, "empty")}`, ...BASE, "--no-scan", hashingContext(["s"])]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/\bs\b.*empty/);
  });

  test("a missing Dockerfile exits 2", async () => {
    const value = token();
    const run = await cli(["--secret", "s=env:SBTEST_S", "--no-scan", "-f", "nope/Dockerfile", "."], { SBTEST_S: value });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("nope/Dockerfile");
    expectNoSecret(run, value);
  });

  test("a failing RUN exits 3 with a one-line error, the log masked", async () => {
    const value = token();
    const ctx = hashingContext(["s"], "RUN --mount=type=secret,id=s cat /run/secrets/s && false");
    const run = await cli(["--secret", "s=env:SBTEST_S", ...BASE, "--no-scan", "--no-cache", ctx], { SBTEST_S: value });
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/safebuild: the build failed: .*exited with status 1 \(see the log above\)\n$/);
    expect(run.stderr).toContain("***");
    expectNoSecret(run, value);
  });

  test("no engine answering exits 4 with how to get one", async () => {
    const value = token();
    const run = await cli(["--secret", "s=env:SBTEST_S", ...BASE, "--no-scan", hashingContext(["s"])], {
      SBTEST_S: value,
      DOCKER_HOST: "unix:///nonexistent/sbtest.sock",
    });
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/no Docker engine answers/);
    expectNoSecret(run, value);
  });
});
