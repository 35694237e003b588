import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { makeFakeDocker } from "../buildkit/fake-docker.js";
import { CLI, runCli } from "./cli.js";

// The whole build command against a fake docker that records argv, env and the bytes of
// each --secret file: proves where secrets go (files only) and where they never go.
const fake = makeFakeDocker();
const work = mkdtempSync(join(tmpdir(), "sbtest-build-fake-"));
const shm = mkdtempSync(join(tmpdir(), "sbtest-build-root-"));
afterAll(() => {
  fake.cleanup();
  rmSync(work, { recursive: true, force: true });
  rmSync(shm, { recursive: true, force: true });
});
writeFileSync(join(work, "Dockerfile"), "FROM scratch\nRUN --mount=type=secret,id=a --mount=type=secret,id=b true\n");

const known: (string | Buffer)[] = [];
const sha = (bytes: Buffer | string): string => createHash("sha256").update(bytes).digest("hex");
const ourDirs = (): string[] => readdirSync(shm).filter((n) => n.startsWith("safebuild-"));

function setup() {
  const envValue = `env-${randomBytes(18).toString("base64url")}`;
  const fileValue = Buffer.from(`file-${randomBytes(18).toString("base64url")}\n`);
  const file = join(work, `secret-${randomBytes(4).toString("hex")}`);
  writeFileSync(file, fileValue);
  const env = { PATH: process.env["PATH"], SBTEST_TOKEN: envValue, SAFEBUILD_TMPDIR: shm, FAKE_DOCKER_LOG: fake.logFile };
  known.push(envValue, fileValue);
  return { envValue, fileValue, file, env, args: ["build", "--docker", fake.path, "--no-scan", "--secret", "a=env:SBTEST_TOKEN", "--secret", `b=${file}`, work] };
}

describe.runIf(existsSync(CLI))("build through a fake docker", () => {
  test("secrets reach the builder as private files only, and the files are gone afterwards", async () => {
    const { envValue, fileValue, env, args } = setup();
    rmSync(fake.logFile, { force: true });
    const run = await runCli(args, { env, secrets: known });
    expect(run.code).toBe(0);
    const build = fake.calls().find((c) => c.argv[0] === "build");
    expect(build?.secrets).toEqual({ a: sha(envValue), b: sha(fileValue) });
    const srcs = Object.values(build?.files ?? {});
    for (const src of srcs) {
      expect(dirname(src)).toMatch(new RegExp(`^${shm}/safebuild-\\d+-[A-Za-z0-9]{6}$`));
      expect(existsSync(dirname(src))).toBe(false);
    }
    expect(build?.env["DOCKER_BUILDKIT"]).toBe("1");
    expect(build?.env["SBTEST_TOKEN"]).toBeUndefined();
    const everything = JSON.stringify(fake.calls()) + run.stdout + run.stderr;
    expect(everything).not.toContain(envValue);
    expect(everything).not.toContain(fileValue.toString().trim());
    expect(ourDirs()).toEqual([]);
  });

  test("flags reach the builder, and everything after -- verbatim, before the context", async () => {
    const { env, args } = setup();
    rmSync(fake.logFile, { force: true });
    const run = await runCli([...args, "-t", "app:1", "--build-arg", "BASE=b", "--target", "t", "--", "--network", "none", "--add-host", "x:1.2.3.4"], { env, secrets: known });
    expect(run.code, run.stderr).toBe(0);
    const argv = fake.calls().find((c) => c.argv[0] === "build")?.argv ?? [];
    expect(argv.slice(-5)).toEqual(["--network", "none", "--add-host", "x:1.2.3.4", work]);
    expect(argv).toEqual(expect.arrayContaining(["--tag", "app:1", "--build-arg", "BASE=b", "--target", "t", "--progress=plain"]));
  });

  test("a builder echoing the secret is masked in the log", async () => {
    const { envValue, fileValue, env, args } = setup();
    const run = await runCli(args, { env: { ...env, FAKE_DOCKER_ECHO_SECRET: "1" }, secrets: known });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("leaked: ***");
    expect(run.stderr).not.toContain(envValue);
    expect(run.stderr).not.toContain(fileValue.toString().trim());
  });

  test("a failing build exits 3 with one line, and the files are gone", async () => {
    const { envValue, env, args } = setup();
    const run = await runCli(args, { env: { ...env, FAKE_DOCKER_BUILD_EXIT: "1", FAKE_DOCKER_ECHO_SECRET: "1" }, secrets: known });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/safebuild: the build failed: .* exited with status 1 \(see the log above\)\n$/);
    expect(run.stderr).not.toContain(envValue);
    expect(ourDirs()).toEqual([]);
  });

  test.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const)("%s while building: signal forwarded, files removed, exit %i", async (signal, code) => {
    const { envValue, env, args } = setup();
    rmSync(fake.logFile, { force: true });
    let sent = false;
    const run = await runCli(args, {
      env: { ...env, FAKE_DOCKER_SLEEP_MS: "20000" },
      secrets: known,
      onStderr: (seen, pid) => {
        if (!sent && seen.includes("RUN sleep")) {
          sent = true;
          process.kill(pid, signal);
        }
      },
    });
    expect(sent).toBe(true);
    expect(run.code).toBe(code);
    expect(run.stderr).toContain(`interrupted by ${signal}`);
    expect(run.stderr + run.stdout).not.toContain(envValue);
    expect(ourDirs()).toEqual([]);
  });

  test("a stale directory of a dead run is swept on start; one without an owner file, made just now, is not", async () => {
    const { mkdirSync, readFileSync, readlinkSync } = await import("node:fs");
    const plant = (name: string, owner: object | undefined): string => {
      const dir = join(shm, name);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { mode: 0o700 });
      writeFileSync(join(dir, "0"), "leftover");
      if (owner !== undefined) writeFileSync(join(dir, "owner"), JSON.stringify(owner), { mode: 0o600 });
      return dir;
    };
    // A process of this boot and pid namespace that has exited: provably dead.
    const dead = spawnSync("true").pid;
    const boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    const stale = plant(`safebuild-${dead}-zzzzzz`, { v: 1, pid: dead, start: "1", pidNs: readlinkSync("/proc/self/ns/pid"), boot });
    const unproven = plant("safebuild-999999-yyyyyy", undefined);
    const { env, args } = setup();
    const run = await runCli(args, { env, secrets: known });
    expect(run.code).toBe(0);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(unproven)).toBe(true);
    rmSync(unproven, { recursive: true, force: true });
    expect(run.stderr).toContain("left by a killed run");
  });
});
