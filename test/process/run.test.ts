import { Writable } from "node:stream";
import { describe, expect, test } from "vitest";
import { readCommand, runCommand } from "../../src/process/run.js";

test("a forwarded stream is neither capped nor kept: a 40 MB build log reaches its target whole", async () => {
  let forwarded = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      forwarded += chunk.length;
      done();
    },
  });
  const result = await runCommand({ command: "/bin/sh", args: ["-c", "head -c 40000000 /dev/zero"] }, { stdout: sink, maxBuffer: 1024 });
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
        { maxStderr: 1024 },
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
