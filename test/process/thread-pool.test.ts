import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { sizeThreadPool, threadPoolSize } from "../../src/process/thread-pool.js";
import { runCli } from "../helpers/cli.js";
import { makeRecordingDocker, neutralEnv, randomSecret, type RecordedCall } from "../faults/fault-kit.js";

describe("threadPoolSize / sizeThreadPool", () => {
  test("one thread per core, at least 2 and at most libuv's default of 4", () => {
    expect([1, 2, 3, 4, 8, 64].map(threadPoolSize)).toEqual([2, 2, 3, 4, 4, 4]);
  });

  test("the variable is set only while the pool starts, and a user's own value is left alone", () => {
    const env: NodeJS.ProcessEnv = {};
    let during: string | undefined;
    sizeThreadPool(env, () => (during = env["UV_THREADPOOL_SIZE"]), 3);
    expect(during).toBe("3");
    expect("UV_THREADPOOL_SIZE" in env).toBe(false);

    const chosen: NodeJS.ProcessEnv = { UV_THREADPOOL_SIZE: "16" };
    let started = false;
    sizeThreadPool(chosen, () => (started = true), 2);
    expect(started).toBe(false);
    expect(chosen["UV_THREADPOOL_SIZE"]).toBe("16");
  });

  test("removed again even when starting the pool throws", () => {
    const env: NodeJS.ProcessEnv = {};
    expect(() =>
      sizeThreadPool(env, () => {
        throw new Error("no pool");
      }, 2),
    ).toThrow("no pool");
    expect("UV_THREADPOOL_SIZE" in env).toBe(false);
  });
});

// The real bin, a recording stand-in for the docker CLI that sleeps while the threads are counted.
const fake = makeRecordingDocker();
const work = mkdtempSync(join(tmpdir(), "sbtest-thread-pool-"));
afterAll(() => {
  fake.cleanup();
  rmSync(work, { recursive: true, force: true });
});
writeFileSync(join(work, "Dockerfile"), "FROM scratch\nRUN --mount=type=secret,id=tok true\n");

async function buildAndCount(env: Record<string, string | undefined>): Promise<{ threads: number; call: RecordedCall | undefined }> {
  rmSync(fake.recordFile, { force: true });
  const value = randomSecret("sbtest-pool");
  let threads = 0;
  const run = await runCli(["build", "--docker", fake.path, "--no-scan", "--secret", "tok=env:SBTEST_POOL_TOK", work], {
    env: { ...neutralEnv, SBTEST_POOL_TOK: value, FAULT_DOCKER_RECORD: fake.recordFile, FAULT_DOCKER_SLEEP_MS: "1500", ...env },
    secrets: [value],
    onSpawn: (child) => {
      // once the builder has started, the CLI only waits for it: its threads are all there
      const poll = setInterval(() => {
        if (!existsSync(fake.recordFile) || !fake.calls().some((c) => c.argv[0] === "build")) return;
        clearInterval(poll);
        threads = readdirSync(`/proc/${child.pid}/task`).length;
      }, 20);
      child.on("exit", () => clearInterval(poll));
    },
  });
  expect(run.code, run.output).toBe(0);
  return { threads, call: fake.calls().find((c) => c.argv[0] === "build") };
}

// threads are counted in /proc: Linux only, and never skipped under CI=true
const hasProc = existsSync("/proc/self/task");
if (!hasProc && process.env["CI"] === "true") throw new Error("CI=true but /proc/self/task is missing: the pool test counts threads there");

describe.skipIf(!hasProc)("the bin sizes libuv's pool before any module starts it", () => {
  test("to the cores unless the user chose, and the docker CLI never sees the variable", async () => {
    const chosen = await buildAndCount({ UV_THREADPOOL_SIZE: "4" });
    const sized = await buildAndCount({ UV_THREADPOOL_SIZE: undefined });
    expect(chosen.threads).toBeGreaterThan(0);
    expect(chosen.threads - sized.threads).toBe(4 - threadPoolSize(availableParallelism()));
    expect(sized.call?.env["UV_THREADPOOL_SIZE"]).toBeUndefined();
    expect(chosen.call?.env["UV_THREADPOOL_SIZE"]).toBe("4");
  });
});
