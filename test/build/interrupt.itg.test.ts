import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { filesHolding, secretDirs } from "../faults/fault-kit.js";
import { DOCKER, engineAnswers, runCli } from "./cli.js";

const hasEngine = engineAnswers();
const work = mkdtempSync(join(tmpdir(), "sbtest-build-sig-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const roots = ["/dev/shm", process.env["XDG_RUNTIME_DIR"], tmpdir()];

describe.runIf(hasEngine)("an interrupted build leaves nothing behind", () => {
  test.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)("%s while a RUN is running: exit %i, no copy of the secret anywhere", async (signal, code) => {
    const value = `sbsig-${randomBytes(24).toString("base64url")}`;
    const ctx = mkdtempSync(join(work, "ctx-"));
    const marker = `started-${randomBytes(6).toString("hex")}`;
    writeFileSync(
      join(ctx, "Dockerfile"),
      `ARG BASE=local/busybox:1\nFROM $BASE\nRUN --mount=type=secret,id=tok test -s /run/secrets/tok && echo ${marker} && sleep 30\n`,
    );
    let sent = 0;
    const started = Date.now();
    const since = new Date();
    const run = await runCli(["--docker", DOCKER, "--secret", "tok=env:SBTEST_SIG", "--build-arg", "BASE=local/busybox:1", "--no-cache", "--no-scan", ctx], {
      env: { SBTEST_SIG: value },
      secrets: [value],
      onStderr: (seen, pid) => {
        if (sent === 0 && seen.includes(marker)) {
          sent = pid;
          process.kill(pid, signal);
        }
      },
    });
    expect(sent, run.stderr).toBeGreaterThan(0);
    expect(run.code, run.stderr).toBe(code);
    expect(Date.now() - started).toBeLessThan(25_000);
    expect(run.stderr).toContain(`interrupted by ${signal}`);
    expect(run.stdout + run.stderr).not.toContain(value);
    // only this run's directories: other runs' live ones are not its leftovers
    expect(secretDirs(roots, sent)).toEqual([]);
    expect(filesHolding(value, since)).toEqual([]);
  });
});
