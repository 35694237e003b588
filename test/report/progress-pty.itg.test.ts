import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { docker, DOCKER, engineAnswers, removeImages } from "../build/cli.js";
import { cliPath, recordRun, repoRoot, runCli } from "../helpers/cli.js";

// Progress that tells (issue 18), seen as a user sees it: on a real terminal (a pty made by
// util-linux `script`) the engine's export phase and then layer n/N, bytes of the total and
// percent; in a captured (non-TTY) run none of it, and the report intact.
const hasEngine = engineAnswers();
const work = mkdtempSync(join(tmpdir(), "sbtest-progress-"));
const image = `sbtest-progress-${randomBytes(5).toString("hex")}`;
const secret = `sbtok-${randomBytes(24).toString("base64url")}`;
afterAll(() => {
  removeImages([image]);
  rmSync(work, { recursive: true, force: true });
});

const quote = (arg: string): string => `'${arg.replace(/'/g, `'\\''`)}'`;
/** Any control character but newline and tab: no \r redraws, no escape sequences. */
const hasControl = (text: string): boolean => [...text].some((c) => c !== "\n" && c !== "\t" && (c < " " || c === "\u007f"));

/** Runs the CLI on a pty; `script` merges stdout and stderr as a terminal shows them. */
function onPty(args: readonly string[]): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, cliPath, ...args].map(quote).join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qfec", command, "/dev/null"], {
      cwd: repoRoot,
      env: { ...process.env, SAFEBUILD_DOCKER: DOCKER, SAFEBUILD_CACHE_DIR: "", SBTEST_TOK: secret, NO_COLOR: "1", TERM: "xterm" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => out.push(c));
    child.on("error", reject);
    child.on("close", (code) => {
      const screen = Buffer.concat(out);
      recordRun(["(pty)", ...args], screen, Buffer.alloc(0), [secret]);
      resolve({ code, screen: screen.toString() });
    });
  });
}

describe.runIf(hasEngine)("progress on a terminal, none in a capture", () => {
  const built = (() => {
    if (!hasEngine) return false;
    const ctx = mkdtempSync(join(work, "ctx-"));
    // 96 MB of random bytes in one layer: long enough for several redraws
    writeFileSync(join(ctx, "Dockerfile"), `FROM local/busybox:1\nRUN head -c 96000000 /dev/urandom > /big && echo ${randomBytes(6).toString("hex")}\n`);
    const r = docker(["build", "-q", "-t", image, ctx]);
    if (r.status !== 0) throw new Error(`cannot build the test image: ${r.stderr}`);
    return true;
  })();

  test("an engine scan: the export phase with the image's size, then layer n/N, bytes of total, percent; one final clear", async () => {
    expect(built).toBe(true);
    const { code, screen } = await onPty(["scan", image, "--secret", "tok=env:SBTEST_TOK"]);
    expect(code, screen).toBe(0);
    expect(screen).toMatch(new RegExp(`waiting for the engine to export ${image} \\(\\d+\\.\\d MiB\\)… \\d+ s`));
    expect(screen).toMatch(new RegExp(`scanning ${image}  layer [12]/2  \\d+\\.\\d MiB of \\d+\\.\\d MiB  \\d+%`));
    // the indicator is erased once, and the report starts on the cleared line
    const tail = screen.slice(screen.lastIndexOf("\r\u001b[K") + "\r\u001b[K".length);
    expect(tail).toMatch(/^Scanned /);
    expect(tail).toMatch(/\nOK: 1 secret (?:and \d+ pattern rules )?checked in 2 layers/);
    expect(screen).not.toContain(secret);
  }, 120_000);

  test("a file source: bytes of the file's size and percent", async () => {
    const tar = join(work, "image.tar");
    const saved = docker(["save", "-o", tar, image]);
    expect(saved.status, saved.stderr).toBe(0);
    const { code, screen } = await onPty(["scan", tar, "--secret", "tok=env:SBTEST_TOK"]);
    expect(code, screen).toBe(0);
    expect(screen).toMatch(/scanning …?[^ ]*image\.tar {2}layer \d {2}\d+\.\d MiB of \d+\.\d MiB {2}\d+%/);
    expect(screen).toMatch(/OK: 1 secret (?:and \d+ pattern rules )?checked in 2 layers/);
  }, 120_000);

  test("captured (not a TTY): no progress, no control characters, the report intact", async () => {
    const run = await runCli(["scan", image, "--secret", "tok=env:SBTEST_TOK"], { env: { SBTEST_TOK: secret }, secrets: [secret] });
    expect(run.code, run.output).toBe(0);
    expect(hasControl(run.stderr.toString())).toBe(false);
    expect(run.stderr.toString()).not.toMatch(/waiting for the engine|scanning /);
    expect(run.stderr.toString()).toMatch(/Scanned sbtest-progress-[0-9a-f]+ \(sha256:[0-9a-f]{12}\): 1 secret (?:and \d+ pattern rules )?checked/);
    expect(run.stderr.toString()).toMatch(/\nOK: 1 secret (?:and \d+ pattern rules )?checked in 2 layers[^\n]*\n$/);
  }, 120_000);
});
