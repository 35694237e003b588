import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { filesHolding } from "../faults/fault-kit.js";
import { DOCKER, engineAnswers, runCli } from "./cli.js";

const hasEngine = engineAnswers();
const work = mkdtempSync(join(tmpdir(), "sbtest-build-sig-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const ourDirs = (): string[] =>
  ["/dev/shm", process.env["XDG_RUNTIME_DIR"], tmpdir()]
    .filter((d): d is string => d !== undefined && existsSync(d))
    .flatMap((d) => readdirSync(d).filter((n) => /^safebuild-\d+-/.test(n)).map((n) => join(d, n)));

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
    const before = new Set(ourDirs());
    let sent = false;
    const started = Date.now();
    const since = new Date();
    const run = await runCli(["--docker", DOCKER, "--secret", "tok=env:SBTEST_SIG", "--build-arg", "BASE=local/busybox:1", "--no-cache", "--no-scan", ctx], {
      env: { SBTEST_SIG: value },
      secrets: [value],
      onStderr: (seen, pid) => {
        if (!sent && seen.includes(marker)) {
          sent = true;
          process.kill(pid, signal);
        }
      },
    });
    expect(sent, run.stderr).toBe(true);
    expect(run.code, run.stderr).toBe(code);
    expect(Date.now() - started).toBeLessThan(25_000);
    expect(run.stderr).toContain(`interrupted by ${signal}`);
    expect(run.stdout + run.stderr).not.toContain(value);
    expect(ourDirs().filter((d) => !before.has(d))).toEqual([]);
    expect(filesHolding(value, since)).toEqual([]);
  });
});
