import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { repoRoot, runCli } from "../helpers/cli.js";
import { messageLines, neutralEnv, noStackTrace, randomSecret, secretDirs } from "./fault-kit.js";
import { startFakeEngine } from "./fake-engine.js";

// Faults of the scan path: a fake engine whose export breaks or stalls, and a reader that
// goes away. No real engine needed.
const work = mkdtempSync(join(tmpdir(), "sbtest-faults-scan-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const images = join(repoRoot, "test/fixtures/images");
const archive = join(images, "leaky.docker.tar");

describe("the engine socket closes mid-scan", () => {
  test("exit 4 (environment), one line naming the engine, no stack trace", async () => {
    const engine = await startFakeEngine(work, archive, "half-then-close");
    const value = randomSecret("sbfault-scan");
    try {
      const run = await runCli(["scan", "docker:sbtest-faults-fake:1", "--secret", "s=env:SBTEST_FAULT_SCAN", "--format", "json"], {
        env: { ...neutralEnv, DOCKER_HOST: engine.host, SBTEST_FAULT_SCAN: value },
        secrets: [value],
        timeoutMs: 60_000,
      });
      const stderr = run.stderr.toString();
      expect(run.code, stderr).toBe(4);
      expect(stderr).not.toMatch(noStackTrace);
      expect(messageLines(stderr), stderr).toEqual([expect.stringMatching(/^safebuild: lost the connection to the Docker engine while reading image /)]);
      expect(run.stdout.toString()).toBe("");
    } finally {
      await engine.close();
    }
  });
});

describe("the engine closes the export before answering", () => {
  test("exit 4 with one line saying so, not an internal error", async () => {
    const engine = await startFakeEngine(work, archive, "close-before-answer");
    try {
      const run = await runCli(["scan", "docker:sbtest-faults-fake:1", "--secret", "s=env:SBTEST_FAULT_SCAN", "--format", "json"], {
        env: { ...neutralEnv, DOCKER_HOST: engine.host, SBTEST_FAULT_SCAN: randomSecret("sbfault-early") },
        timeoutMs: 60_000,
      });
      const stderr = run.stderr.toString();
      expect(run.code, stderr).toBe(4);
      expect(stderr).not.toMatch(noStackTrace);
      expect(messageLines(stderr), stderr).toEqual([expect.stringMatching(/^safebuild: the Docker engine at unix:\/\/.+ closed the connection before answering$/)]);
    } finally {
      await engine.close();
    }
  });
});

describe("a signal during a scan", () => {
  test.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const)("%s while the export stalls: exit %i within 5 s, connection closed, nothing left", async (signal, code) => {
    const engine = await startFakeEngine(work, archive, "stall");
    const value = randomSecret("sbfault-scansig");
    let sentAt = 0;
    let pid = 0;
    try {
      const run = await runCli(["scan", "docker:sbtest-faults-fake:1", "--secret", "s=env:SBTEST_FAULT_SCAN", "--format", "json"], {
        env: { ...neutralEnv, DOCKER_HOST: engine.host, SBTEST_FAULT_SCAN: value },
        secrets: [value],
        timeoutMs: 60_000,
        onSpawn: (child) => {
          pid = child.pid ?? 0;
          void engine.exportStarted.then(() =>
            setTimeout(() => {
              sentAt = Date.now();
              child.kill(signal);
            }, 300),
          );
        },
      });
      const stderr = run.stderr.toString();
      expect(sentAt).toBeGreaterThan(0);
      expect(Date.now() - sentAt).toBeLessThan(5_000);
      expect(run.code, stderr).toBe(code);
      expect(messageLines(stderr), stderr).toEqual([`safebuild: interrupted by ${signal}`]);
      expect(run.stdout.toString()).toBe("");
      // The run closes the export before it exits, but the engine's side may see that close a turn
      // of its loop after the child's exit; anything left holding the connection keeps it open.
      await expect.poll(() => engine.exportOpen(), { timeout: 2000 }).toBe(false);
      expect(pid).toBeGreaterThan(0);
      expect(secretDirs(undefined, pid)).toEqual([]);
    } finally {
      await engine.close();
    }
  });
});

describe("the output pipe closed early", () => {
  test("`scan --format json | head -c 0`: no EPIPE crash, the exit code still says what was found", async () => {
    const token = readFileSync(join(images, "TOKEN"));
    const run = await runCli(["scan", archive, "--secret", `t=${join(images, "TOKEN")}`, "--format", "json"], {
      env: { ...neutralEnv },
      secrets: [token],
      // The reader is gone before the report is written (`| head -c 0`): every stdout write fails with EPIPE.
      onSpawn: (child) => child.stdout?.destroy(),
    });
    const stderr = run.stderr.toString();
    expect(run.signal).toBeNull();
    expect(run.code, stderr).toBe(1);
    expect(stderr).not.toMatch(/EPIPE|internal error/);
    expect(stderr).not.toMatch(noStackTrace);
  });
});
