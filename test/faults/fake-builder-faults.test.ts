import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { runCli } from "../helpers/cli.js";
import {
  alive,
  encodingsIn,
  eventually,
  makeRecordingDocker,
  messageLines,
  neutralEnv,
  noStackTrace,
  randomSecret,
  secretDirs,
  TMPFS_MAGIC,
} from "./fault-kit.js";

// Faults of the build path that need no engine: a recording stand-in for the docker CLI
// shows what a builder receives, and lets the builder die, chatter or hang on demand.
const fake = makeRecordingDocker();
const work = mkdtempSync(join(tmpdir(), "sbtest-faults-fake-"));
// Outside the build context: a secret file in it is a warning of its own (docs/dockerfile-checks.md).
const secretFiles = mkdtempSync(join(tmpdir(), "sbtest-faults-files-"));
afterAll(() => {
  fake.cleanup();
  rmSync(work, { recursive: true, force: true });
  rmSync(secretFiles, { recursive: true, force: true });
});
writeFileSync(join(work, "Dockerfile"), "FROM scratch\nRUN --mount=type=secret,id=tok --mount=type=secret,id=npmrc true\n");

function setup(extraEnv: Record<string, string> = {}) {
  const envValue = randomSecret("sbfault-env");
  const fileValue = `${randomSecret("sbfault-file")}\n`;
  const file = join(secretFiles, `npmrc-${randomBytes(4).toString("hex")}`);
  writeFileSync(file, fileValue);
  rmSync(fake.recordFile, { force: true });
  return {
    envValue,
    fileValue,
    secrets: [envValue, fileValue, fileValue.trim()],
    env: {
      ...neutralEnv,
      SBTEST_FAULT_TOK: envValue,
      // A copy of the value under an unrelated name: childEnv must drop it too.
      SBTEST_FAULT_COPY: envValue,
      FAULT_DOCKER_RECORD: fake.recordFile,
      ...extraEnv,
    },
    args: ["build", "--docker", fake.path, "--no-scan", "--secret", "tok=env:SBTEST_FAULT_TOK", "--secret", `npmrc=${file}`, work],
  };
}

describe("the builder's view of the secrets", () => {
  test("no value (raw or encoded) in argv or env; src files 0600 in a 0700 dir on tmpfs, gone after the run", async () => {
    const s = setup();
    const run = await runCli(s.args, { env: s.env, secrets: s.secrets });
    expect(run.code, run.output).toBe(0);
    const build = fake.calls().find((c) => c.argv[0] === "build");
    expect(build).toBeDefined();
    if (build === undefined) return;
    const seen = JSON.stringify(build.argv) + JSON.stringify(build.env);
    for (const value of s.secrets) expect(encodingsIn(seen, value), "argv/env").toEqual([]);
    expect(build.env["SBTEST_FAULT_TOK"]).toBeUndefined();
    expect(build.env["SBTEST_FAULT_COPY"]).toBeUndefined();
    expect(build.secrets.map((f) => f.id).sort()).toEqual(["npmrc", "tok"]);
    for (const f of build.secrets) {
      expect(f.mode.toString(8), f.id).toBe("600");
      expect(f.dirMode.toString(8), f.id).toBe("700");
      expect(f.fsType, `${f.id} on tmpfs`).toBe(TMPFS_MAGIC);
      expect(dirname(f.src)).toMatch(/\/safebuild-\d+-[A-Za-z0-9]{6}$/);
      expect(existsSync(dirname(f.src)), `${dirname(f.src)} removed`).toBe(false);
    }
    expect(build.secrets.find((f) => f.id === "tok")?.size).toBe(Buffer.byteLength(s.envValue));
    expect(build.secrets.find((f) => f.id === "npmrc")?.size).toBe(Buffer.byteLength(s.fileValue));
  });

  test("a builder killed by SIGKILL: exit 3, one line naming the signal, temp dir removed", async () => {
    const s = setup({ FAULT_DOCKER_SELF_KILL: "SIGKILL" });
    const run = await runCli(s.args, { env: s.env, secrets: s.secrets });
    expect(run.code, run.output).toBe(3);
    const stderr = run.stderr.toString();
    expect(stderr).not.toMatch(noStackTrace);
    const errors = messageLines(stderr).filter((l) => l.startsWith("safebuild: ") && !l.startsWith("safebuild: building with"));
    expect(errors, stderr).toEqual([expect.stringMatching(/^safebuild: the build failed: .*killed by SIGKILL/)]);
    const build = fake.calls().find((c) => c.argv[0] === "build");
    for (const f of build?.secrets ?? []) expect(existsSync(dirname(f.src))).toBe(false);
    expect(build?.secrets).toHaveLength(2);
  });
});

describe("the output pipe closed early", () => {
  test("stderr reader gone mid-log: no EPIPE crash, the build finishes, temp dir removed", async () => {
    const s = setup({ FAULT_DOCKER_LINES: "20000" });
    const run = await runCli(s.args, {
      env: s.env,
      secrets: s.secrets,
      onSpawn: (child) => child.stderr?.once("data", () => child.stderr?.destroy()),
    });
    expect(run.code).toBe(0);
    expect(run.signal).toBeNull();
    const build = fake.calls().find((c) => c.argv[0] === "build");
    expect(build?.secrets).toHaveLength(2);
    for (const f of build?.secrets ?? []) expect(existsSync(dirname(f.src))).toBe(false);
  });
});

describe("a safebuild killed by SIGKILL", () => {
  test("leaves its temp dir; the next run sweeps it and says so", async () => {
    const s = setup({ FAULT_DOCKER_SLEEP_MS: "60000" });
    let pid = 0;
    let sent = false;
    const killed = await runCli(s.args, {
      env: s.env,
      secrets: s.secrets,
      onSpawn: (child) => {
        pid = child.pid ?? 0;
        let seen = "";
        child.stderr?.on("data", (chunk: Buffer) => {
          seen += chunk.toString();
          if (!sent && seen.includes("RUN sleep")) {
            sent = true;
            child.kill("SIGKILL");
          }
        });
      },
    });
    expect(sent).toBe(true);
    expect(killed.signal).toBe("SIGKILL");
    const build = fake.calls().find((c) => c.argv[0] === "build");
    const left = dirname(build?.secrets[0]?.src ?? "/nonexistent/x");
    // SIGKILL allows no cleanup: the directory is still there, and so is the orphaned builder.
    expect(existsSync(left)).toBe(true);
    expect(secretDirs(["/dev/shm"], pid)).toEqual([left]);
    if (build !== undefined && alive(build.pid)) process.kill(build.pid, "SIGKILL");
    await eventually(() => build === undefined || !alive(build.pid));

    const next = setup();
    const run = await runCli(next.args, { env: next.env, secrets: next.secrets });
    expect(run.code, run.output).toBe(0);
    expect(run.stderr.toString()).toMatch(/removed \d+ secret director(y|ies) left by a killed run/);
    expect(existsSync(left)).toBe(false);
  });
});
