import { Writable } from "node:stream";
import { expect, test } from "vitest";
import { runCommand } from "../../src/process/run.js";

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
