import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runCli } from "../helpers/cli.js";
import { makeRecordingDocker, messageLines, neutralEnv, noStackTrace } from "./fault-kit.js";

// A tmpfs too small for the secret: the private directory is made, the write fails with
// ENOSPC, and everything written so far is removed before the one-line error.
const fake = makeRecordingDocker();
const work = mkdtempSync(join(tmpdir(), "sbtest-faults-full-"));
const tiny = join(work, "tiny");
let mounted = false;

beforeAll(() => {
  spawnSync("mkdir", ["-p", tiny]);
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", "size=16k,mode=0700", "tmpfs", tiny], { encoding: "utf8" });
  mounted = r.status === 0;
  if (!mounted && process.env["CI"] === "true") throw new Error(`CI=true but cannot mount a tmpfs (run as root): ${r.stderr}`);
});
afterAll(() => {
  if (mounted) spawnSync("umount", [tiny]);
  fake.cleanup();
  rmSync(work, { recursive: true, force: true });
});

describe("the temp tmpfs is full", () => {
  test("a secret bigger than the space: exit 4, one line naming ENOSPC, nothing left in the tmpfs", async (t) => {
    if (!mounted) t.skip();
    // 200 KiB: under BuildKit's 500 KiB limit, far over the 16 KiB mount.
    const value = Buffer.from(randomBytes(150 * 1024).toString("base64url"));
    const small = `sbfault-small-${randomBytes(12).toString("base64url")}`;
    const file = join(work, "big");
    writeFileSync(file, value);
    // The context is a folder of its own: a secret file inside it is a warning of its own (docs/dockerfile-checks.md).
    const context = join(work, "ctx");
    mkdirSync(context, { recursive: true });
    writeFileSync(join(context, "Dockerfile"), "FROM scratch\nRUN --mount=type=secret,id=small --mount=type=secret,id=big true\n");
    const run = await runCli(
      ["build", "--docker", fake.path, "--no-scan", "--secret", "small=env:SBTEST_FAULT_SMALL", "--secret", `big=${file}`, context],
      { env: { ...neutralEnv, XDG_RUNTIME_DIR: tiny, SBTEST_FAULT_SMALL: small, FAULT_DOCKER_RECORD: fake.recordFile }, secrets: [value, small] },
    );
    const stderr = run.stderr.toString();
    expect(run.code, stderr).toBe(4);
    expect(stderr).not.toMatch(noStackTrace);
    expect(messageLines(stderr), stderr).toEqual([expect.stringMatching(/^safebuild: cannot write secret "big" .*no space left on device \(ENOSPC\)$/)]);
    expect(readdirSync(tiny)).toEqual([]);
    // The builder never ran.
    expect(fake.calls().filter((c) => c.argv[0] === "build")).toEqual([]);
  });
});
