import { Writable } from "node:stream";
import { describe, expect, test } from "vitest";
import { runCommand, startCommand, type CommandSpec, type RunOptions } from "../../src/process/run.js";

const readCommand = (spec: CommandSpec, options: RunOptions = {}) => startCommand(spec, { ...options, output: { kind: "read", maxStderr: 1024 } });

test("a forwarded stream is neither capped nor kept: a 40 MB build log reaches its target whole", async () => {
  let forwarded = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      forwarded += chunk.length;
      done();
    },
  });
  const result = await runCommand({ command: "/bin/sh", args: ["-c", "head -c 40000000 /dev/zero"] }, { output: { kind: "forward", stdout: sink, stderr: new Writable({ write: (_c, _e, done) => done() }) } });
  expect(result.exitCode).toBe(0);
  expect(forwarded).toBe(40_000_000);
  expect(result.stdout.length).toBe(0);
});

test("captured output is returned as bytes, and a failing child is facts, not a throw", async () => {
  const result = await runCommand({ command: "/bin/sh", args: ["-c", "printf 'a\\0b'; echo err >&2; exit 3"] });
  expect(result.exitCode).toBe(3);
  expect(result.stdout.equals(Buffer.from("a\0b"))).toBe(true);
  expect(result.stderr.toString()).toBe("err\n");
});

test("a missing program is a spawn error with its code", async () => {
  const result = await runCommand({ command: "/nonexistent/safebuild-test", args: [] });
  expect(result.spawnError?.code).toBe("ENOENT");
});

describe("readCommand (docker save through the CLI)", () => {
  test("stdout is read as it comes, the exit and a bounded stderr come after; the environment is only what is given", async () => {
    process.env["SBTEST_RUN_PARENT_ONLY"] = "parent";
    try {
      const child = readCommand(
        { command: "/bin/sh", args: ["-c", 'head -c 3000000 /dev/zero; printf "%s" "${SBTEST_RUN_PARENT_ONLY:-none}${GIVEN}" >&2; exit 5'], env: { GIVEN: "-given" }, inheritEnv: false },
      );
      let bytes = 0;
      for await (const chunk of child.stdout) bytes += chunk.length;
      const result = await child.exited;
      expect(bytes).toBe(3_000_000);
      expect(result.exitCode).toBe(5);
      expect(result.stderr.toString()).toBe("none-given");
    } finally {
      delete process.env["SBTEST_RUN_PARENT_ONLY"];
    }
  });

  test("a reader that stops early: the child ends (broken pipe, or stop()'s SIGTERM), never left running", async () => {
    const child = readCommand({ command: "/bin/sh", args: ["-c", "exec cat /dev/zero"], inheritEnv: false });
    for await (const chunk of child.stdout) if (chunk.length > 0) break;
    child.stop();
    const result = await child.exited;
    expect(result.exitCode === 0, JSON.stringify({ exitCode: result.exitCode, signal: result.signal })).toBe(false);
    const quiet = readCommand({ command: "/bin/sh", args: ["-c", "exec sleep 30"], inheritEnv: false });
    quiet.stop();
    expect((await quiet.exited).signal).toBe("SIGTERM");
  });

  test("an abort ends the child; a missing program is a spawn error", async () => {
    const abort = new AbortController();
    const child = readCommand({ command: "/bin/sh", args: ["-c", "exec sleep 30"], inheritEnv: false }, { signal: abort.signal });
    abort.abort();
    expect(await child.exited).toMatchObject({ signal: "SIGTERM", aborted: true });
    const missing = readCommand({ command: "/nonexistent/safebuild-test", args: [] });
    for await (const _ of missing.stdout) void _;
    expect((await missing.exited).spawnError?.code).toBe("ENOENT");
  });
});

// Both ways a child starts (node's spawn on the hot path, execa off it) keep one contract.
describe.each([true, false])("one runner, hotPath: %s", (hotPath) => {
  test("captured output is bytes, and a failing child is facts, not a throw", async () => {
    const result = await runCommand({ command: "/bin/sh", args: ["-c", "printf 'a\\0b'; echo err >&2; exit 3"] }, { hotPath });
    expect(result).toMatchObject({ exitCode: 3, timedOut: false, aborted: false, spawnError: undefined });
    expect(result.stdout.equals(Buffer.from("a\0b"))).toBe(true);
    expect(result.stderr.toString()).toBe("err\n");
  });

  test("stdin bytes reach the child, then end", async () => {
    const result = await runCommand({ command: "/bin/sh", args: ["-c", "wc -c"] }, { hotPath, stdin: Buffer.from("https://index.docker.io/v1/") });
    expect(result.stdout.toString().trim()).toBe("27");
  });

  test("a timeout ends the whole process group, grandchildren too", async () => {
    const result = await runCommand({ command: "/bin/sh", args: ["-c", "sleep 30 & sleep 30; wait"] }, { hotPath, timeoutMs: 200, killGroup: true });
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe("SIGTERM");
  });

  test("an abort sends the signal the caller picks at that time; a missing program is a spawn error", async () => {
    const abort = new AbortController();
    const running = runCommand({ command: "/bin/sh", args: ["-c", "exec sleep 30"] }, { hotPath, signal: abort.signal, killSignal: () => "SIGINT" });
    setTimeout(() => abort.abort(), 50);
    expect(await running).toMatchObject({ aborted: true, signal: "SIGINT" });
    expect((await runCommand({ command: "/nonexistent/safebuild-test", args: [] }, { hotPath })).spawnError?.code).toBe("ENOENT");
  });

  test("captured output past its cap stops the child", async () => {
    const result = await runCommand({ command: "/bin/sh", args: ["-c", "exec cat /dev/zero"] }, { hotPath, output: { kind: "capture", maxBuffer: 4096 } });
    expect(result.exitCode === 0).toBe(false);
    expect(result.stdout.length).toBeLessThanOrEqual(4096);
  });
});
