import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { assertBuilt, runCli } from "./scan-cli-run.js";

const work = mkdtempSync(join(tmpdir(), "sbtest-config-escapes-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("a repository config's text in safebuild's own messages", () => {
  test("an escape sequence or a newline in a path it names reaches the terminal escaped: no forged line, no clipboard write", async () => {
    assertBuilt();
    const repo = join(work, "repo");
    mkdirSync(join(repo, ".git"), { recursive: true });
    // OSC 52 (write the clipboard), then a newline and a forged verdict, in a path outside its folder
    const path = "../x\u001b]52;c;aGk=\u0007\nOK: no leak";
    writeFileSync(join(repo, "safebuild.yml"), `secrets:\n  tok: ${JSON.stringify(path)}\n`);
    const run = await runCli(["scan", join(work, "missing.tar")], { cwd: repo });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("secret tok reads");
    expect(run.stderr).not.toContain("\u001b");
    expect(run.stderr).not.toContain("\u0007");
    expect(run.stderr).toContain("\\x1b]52;c;aGk=\\x07\\x0aOK: no leak");
    expect(run.stderr.split("\n").filter((line) => line.startsWith("OK"))).toEqual([]);
  });
});
