import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { DOCKER, engineAnswers, removeImages, runCli } from "./cli.js";

// Issue 13, "the build log, too": a RUN prints its secret in pieces, one tool after another;
// the log keeps its own lines and loses every run of 8 characters of the value or its encodings.
const hasEngine = engineAnswers();
const work = mkdtempSync(join(tmpdir(), "sbtest-log-pieces-"));
const tags: string[] = [];
afterAll(() => {
  removeImages(tags);
  rmSync(work, { recursive: true, force: true });
});

const TOOLS = ["base64 -w 20", "fold -w 16", "xxd", "od -c", "od -An -tx1", "hexdump -C"];

/** 8 bytes of `value` left in a line (blanks removed): 8 characters as written, 11 of base64, 16 of hex. */
function pieceLeft(output: string, value: string): string | undefined {
  const hex = Buffer.from(value).toString("hex");
  const forms: [string, number][] = [[value, 8], [hex, 16], [hex.toUpperCase(), 16], [Buffer.from(value).toString("base64"), 11]];
  for (const line of output.split("\n")) {
    const shown = line.replace(/[ \t]+/g, "");
    for (const [form, min] of forms) {
      for (let i = 0; i + min <= shown.length; i++) if (form.includes(shown.slice(i, i + min))) return shown.slice(i, i + min);
    }
  }
  return undefined;
}

describe.runIf(hasEngine)(`a secret printed in pieces by a RUN (${DOCKER})`, () => {
  test("base64 -w 20, fold, xxd, od -c, od -tx1, hexdump -C: every piece masked, the log around kept", async () => {
    const value = `sbtok-${randomBytes(24).toString("base64url")}`;
    const ctx = mkdtempSync(join(work, "ctx-"));
    const file = join(work, "tok");
    writeFileSync(file, value);
    const steps = TOOLS.map((tool) => `echo "== ${tool}"; ${tool} /run/secrets/tok; echo`).join("; ");
    writeFileSync(join(ctx, "Dockerfile"), `ARG BASE=local/busybox:1\nFROM $BASE\nRUN --mount=type=secret,id=tok sh -c '${steps}; echo "== done"'\n`);
    const image = `sbtest-log-pieces-${randomBytes(5).toString("hex")}`;
    tags.push(image);
    const run = await runCli(["build", "--secret", `tok=${file}`, "--build-arg", "BASE=local/busybox:1", "-t", image, "--no-cache", "--no-scan", "--docker", DOCKER, ctx], { secrets: [value] });
    expect(run.code, run.stderr).toBe(0);
    // the tools ran and their own text is there: headers, offsets, the end
    for (const tool of TOOLS) expect(run.stderr).toContain(`== ${tool}`);
    expect(run.stderr).toMatch(/00000010: \*\*\*/);
    expect(run.stderr).toMatch(/0000020 +\*\*\*/);
    expect(run.stderr).toContain("== done");
    expect(pieceLeft(run.stderr + run.stdout, value)).toBeUndefined();
  }, 300_000);
});
