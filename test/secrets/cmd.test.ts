import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, test } from "vitest";
import { isSafebuildError } from "../../src/errors.js";
import { createMasker } from "../../src/redact/masker.js";
import { cmdProvider, shorten, withoutTrailingNewline } from "../../src/secrets/cmd.js";
import type { ProviderContext } from "../../src/secrets/provider.js";
import { secretTraces } from "../../src/secrets/child-env.js";

const dir = mkdtempSync(join(tmpdir(), "sbtest-cmd-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ctxOf(env: NodeJS.ProcessEnv = {}, signal?: AbortSignal): ProviderContext & { stderrText: () => string } {
  const stderr = new PassThrough();
  const chunks: Buffer[] = [];
  stderr.on("data", (c: Buffer) => chunks.push(c));
  return {
    env: { PATH: process.env["PATH"], ...env },
    cwd: dir,
    home: dir,
    masker: createMasker(),
    memo: new Map(),
    traces: secretTraces([]),
    signal,
    stderr,
    stderrText: () => Buffer.concat(chunks).toString("utf8"),
  };
}

const run = (command: string, ctx: ProviderContext, id = "tok") => cmdProvider({ id, kind: "cmd", target: command, spec: `${id}=cmd:${command}` }, ctx);

async function failure(command: string, ctx: ProviderContext, id = "tok"): Promise<string> {
  const error = await run(command, ctx, id).catch((e: unknown) => e);
  expect(isSafebuildError(error) && error.kind === "input" && error.exitCode === 2).toBe(true);
  return (error as Error).message;
}

describe("cmd: the value is stdout with one trailing newline removed", () => {
  // a fixed value: a random one can share an encoding's piece with the text around it (the masker then masks or holds more)
  const value = "Nb8vC2xZ5lK9jH3gF7dS1aQw";
  test.each([
    ["no newline", `printf '%s' ${value}`, value],
    ["one \\n removed", `printf '%s\\n' ${value}`, value],
    ["one \\r\\n removed", `printf '%s\\r\\n' ${value}`, value],
    ["only one of two newlines removed", `printf '%s\\n\\n' ${value}`, `${value}\n`],
    ["inner newlines kept", `printf 'a\\nb\\n'`, "a\nb"],
    ["leading spaces kept", `printf '  x  '`, "  x  "],
    ["a pipeline through /bin/sh", `echo ${value} | tr a-z A-Z`, value.toUpperCase()],
    ["the parent's environment", `printf '%s' "$SBTEST_FROM_ENV"`, value],
    ["runs in the context's cwd", "pwd", dir],
  ])("%s", async (_name, command, expected) => {
    const bytes = await run(command, ctxOf({ SBTEST_FROM_ENV: value }));
    expect(bytes.toString("utf8")).toBe(expected);
  });

  test("binary bytes survive", async () => {
    const bytes = await run(`printf '\\000\\377\\001x'`, ctxOf());
    expect([...bytes]).toEqual([0, 255, 1, 0x78]);
  });

  test.each([
    [[0x61, 0x0a], [0x61]],
    [[0x61, 0x0d, 0x0a], [0x61]],
    [[0x0d], [0x0d]],
    [[0x0a], []],
    [[], []],
  ])("withoutTrailingNewline(%j) = %j", (input, expected) => {
    expect([...withoutTrailingNewline(Buffer.from(input))]).toEqual(expected);
  });
});

describe("cmd: stderr and errors", () => {
  test("stderr reaches the user with the value masked", async () => {
    const value = "Pm4nB6vC8xZ2lK5jH9gF3dSa";
    const ctx = ctxOf();
    const bytes = await run(`echo "fetched ${value} ok" >&2; printf '%s' ${value}`, ctx);
    expect(bytes.toString()).toBe(value);
    expect(ctx.stderrText()).toBe("fetched *** ok\n");
  });

  test("a non-zero exit names the id and the status, not the stderr or the value", async () => {
    const value = "Ew7rT1yU4iO6pA9sD3fG5hJk";
    const ctx = ctxOf();
    const ctx2 = ctxOf({ SBTEST_V: value });
    const message = await failure(`printf "%s" "$SBTEST_V"; echo "denied" "for $SBTEST_V" >&2; exit 3`, ctx2, "npmrc");
    expect(message).toMatch(/^secret npmrc: cmd: printf .*: exited with status 3$/);
    expect(message.length).toBeLessThan(120);
    expect(message).not.toContain("denied for");
    expect(message).not.toContain(value);
    expect(ctx2.stderrText()).toBe("denied for ***\n");
    void ctx;
  });

  test.each([
    ["command not found", "sbtest-no-such-command-xyz", /exited with status 127 \(command not found\)/],
    ["killed by a signal", "kill -KILL $$", /killed by SIGKILL/],
  ])("%s", async (_name, command, expected) => {
    expect(await failure(command, ctxOf())).toMatch(expected);
  });

  test("a long command is shortened in messages", () => {
    expect(shorten(`op read "op://${"x".repeat(100)}"`)).toHaveLength(60);
    expect(shorten("a\n  b")).toBe("a b");
  });

  test("SAFEBUILD_CMD_TIMEOUT stops a slow command", async () => {
    const started = Date.now();
    const message = await failure("sleep 20", ctxOf({ SAFEBUILD_CMD_TIMEOUT: "0.5" }));
    expect(message).toMatch(/timed out after 0.5 s/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test("a slow command in a compound /bin/sh line is stopped too", async () => {
    const started = Date.now();
    const message = await failure("echo start >&2; sleep 20; echo done", ctxOf({ SAFEBUILD_CMD_TIMEOUT: "0.5" }));
    expect(message).toMatch(/timed out/);
    expect(Date.now() - started).toBeLessThan(15000);
  });

  test("a bad SAFEBUILD_CMD_TIMEOUT is an input error", async () => {
    expect(await failure("true", ctxOf({ SAFEBUILD_CMD_TIMEOUT: "soon" }))).toMatch(/SAFEBUILD_CMD_TIMEOUT must be a positive number/);
  });

  test("an abort is an interruption", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort("SIGINT"), 200);
    const error = await run("sleep 20", ctxOf({}, controller.signal)).catch((e: unknown) => e);
    expect(isSafebuildError(error) && error.kind === "interrupted").toBe(true);
  });
});
