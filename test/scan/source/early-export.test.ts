import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { repoRoot, runCli } from "../../helpers/cli.js";
import { messageLines, neutralEnv, noStackTrace, randomSecret } from "../../faults/fault-kit.js";
import { startFakeEngine } from "../../faults/fake-engine.js";

// `safebuild scan IMAGE` asks the engine for the export before it resolves the secrets (dockerd
// spends seconds on an export before its first byte). A `cmd:` secret that waits for the
// export request shows the order: asked for after the secrets, it would wait in vain.
const work = mkdtempSync(join(tmpdir(), "sbtest-early-export-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const images = join(repoRoot, "test/fixtures/images");
const token = readFileSync(join(images, "TOKEN"), "utf8").trim();

/** A `cmd:` secret that prints `value` once `marker` exists, and fails if it never does (10 s). */
const waitingFor = (marker: string, value: string | null): string =>
  `cmd:i=0; while [ ! -f ${marker} ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; [ -f ${marker} ] && ${value === null ? "exit 1" : `printf %s ${value}`}`;

describe("the engine export is asked for while the secrets resolve", () => {
  test("a secret that needs the request to have been made resolves; the scan finds the leak", async () => {
    const marker = join(work, "asked-1");
    const engine = await startFakeEngine(work, join(images, "leaky.docker.tar"), "whole", { marker });
    const other = randomSecret("sbearly");
    try {
      const run = await runCli(["scan", "docker:sbtest-faults-fake:1", "--secret", "tok=env:SBTEST_EARLY_TOKEN", "--secret", `other=${waitingFor(marker, other)}`, "--format", "json"], {
        env: { ...neutralEnv, DOCKER_HOST: engine.host, SBTEST_EARLY_TOKEN: token },
        secrets: [token, other],
        timeoutMs: 60_000,
      });
      const stderr = run.stderr.toString();
      expect(run.code, stderr).toBe(1);
      expect(existsSync(marker)).toBe(true);
      const report = JSON.parse(run.stdout.toString()) as { findings: { secret: string }[] };
      expect(report.findings.map((f) => f.secret)).toContain("tok");
      expect(report.findings.map((f) => f.secret)).not.toContain("other");
    } finally {
      await engine.close();
    }
  });

  test("a secret that fails after the request: its error, exit 2, and the export is closed before the engine answers", async () => {
    const marker = join(work, "asked-2");
    const engine = await startFakeEngine(work, join(images, "leaky.docker.tar"), "silent", { marker });
    try {
      const run = await runCli(["scan", "docker:sbtest-faults-fake:1", "--secret", `broken=${waitingFor(marker, null)}`], {
        env: { ...neutralEnv, DOCKER_HOST: engine.host },
        timeoutMs: 60_000,
      });
      const stderr = run.stderr.toString();
      expect(run.code, stderr).toBe(2);
      expect(stderr).not.toMatch(noStackTrace);
      expect(messageLines(stderr), stderr).toEqual([expect.stringMatching(/^safebuild: secret broken: /)]);
      await engine.exportStarted;
      // an export left waiting for the engine's answer would hold the run until the test's timeout
      await expect.poll(() => engine.exportOpen(), { timeout: 2000 }).toBe(false);
    } finally {
      await engine.close();
    }
  });

  test("a missing image: the secrets' errors come first, as before", async () => {
    const engine = await startFakeEngine(work, join(images, "leaky.docker.tar"), "missing");
    try {
      const unset = await runCli(["scan", "docker:sbtest-faults-fake:1", "--secret", "gone=env:SBTEST_EARLY_UNSET"], {
        env: { ...neutralEnv, DOCKER_HOST: engine.host },
        timeoutMs: 60_000,
      });
      expect(unset.code, unset.stderr.toString()).toBe(2);
      expect(messageLines(unset.stderr.toString())).toEqual([expect.stringMatching(/^safebuild: secret gone: /)]);
      const value = randomSecret("sbearly-missing");
      const missing = await runCli(["scan", "docker:sbtest-faults-fake:1", "--secret", "s=env:SBTEST_EARLY_SET"], {
        env: { ...neutralEnv, DOCKER_HOST: engine.host, SBTEST_EARLY_SET: value },
        secrets: [value],
        timeoutMs: 60_000,
      });
      expect(missing.code, missing.stderr.toString()).toBe(2);
      expect(messageLines(missing.stderr.toString())).toEqual(["safebuild: no such image: sbtest-faults-fake:1"]);
    } finally {
      await engine.close();
    }
  });
});

describe("a complete export is read to its end-of-archive marker, not to the end of the reply", () => {
  // dockerd 20.10 removes its temp copy of the export before it ends the reply (0.4 s for 1 GB)
  test("the scan reports once the archive is complete, and closes the export the engine still holds open", async () => {
    const engine = await startFakeEngine(work, join(images, "leaky.docker.tar"), "linger");
    try {
      const run = await runCli(["scan", "docker:sbtest-faults-fake:1", "--secret", "tok=env:SBTEST_EARLY_TOKEN", "--format", "json"], {
        env: { ...neutralEnv, DOCKER_HOST: engine.host, SBTEST_EARLY_TOKEN: token },
        secrets: [token],
        // a scan that waited for the reply's end would be killed here
        timeoutMs: 20_000,
      });
      const stderr = run.stderr.toString();
      expect(run.code, stderr).toBe(1);
      const report = JSON.parse(run.stdout.toString()) as { findings: { secret: string }[] };
      expect(report.findings.map((f) => f.secret)).toContain("tok");
      await expect.poll(() => engine.exportOpen(), { timeout: 2000 }).toBe(false);
    } finally {
      await engine.close();
    }
  });
});

describe("an engine whose storage this process cannot read", () => {
  // the fake engine's inspect names no overlay2 storage, as a remote or rootless engine's would not be readable
  test("auto reads its export; storage forced is exit 4, in one line, the export never asked for", async () => {
    const marker = join(work, "asked-storage");
    const engine = await startFakeEngine(work, join(images, "leaky.docker.tar"), "whole", { marker });
    try {
      const env = { ...neutralEnv, DOCKER_HOST: engine.host, SBTEST_EARLY_TOKEN: token };
      const auto = await runCli(["scan", "docker:sbtest-faults-fake:1", "--secret", "tok=env:SBTEST_EARLY_TOKEN"], { env, secrets: [token], timeoutMs: 60_000 });
      expect(auto.code, auto.stderr.toString()).toBe(1);
      rmSync(marker, { force: true });
      const forced = await runCli(["scan", "docker:sbtest-faults-fake:1", "--secret", "tok=env:SBTEST_EARLY_TOKEN"], { env: { ...env, SAFEBUILD_ENGINE_READ: "storage" }, secrets: [token], timeoutMs: 60_000 });
      expect(forced.code, forced.stderr.toString()).toBe(4);
      expect(messageLines(forced.stderr.toString())).toEqual(["safebuild: image sbtest-faults-fake:1 is not in an engine storage this process can read (SAFEBUILD_ENGINE_READ=storage)"]);
      expect(existsSync(marker)).toBe(false);
    } finally {
      await engine.close();
    }
  });
});
