import { spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import stripAnsi from "strip-ansi";
import { afterAll, describe, expect, test } from "vitest";
import { DOCKER, docker, engineAnswers, removeImages } from "../build/cli.js";
import { runCli, type CliRun } from "../helpers/cli.js";
import {
  alive,
  childrenOf,
  encodingsIn,
  eventually,
  filesHolding,
  messageLines,
  neutralEnv,
  noStackTrace,
  randomSecret,
  secretDirs,
} from "./fault-kit.js";

// Faults during real builds: the real CLI, the real engine (BuildKit in /usr/bin/docker 20.10).
const hasEngine = engineAnswers();
const work = mkdtempSync(join(tmpdir(), "sbtest-faults-itg-"));
const home = join(work, "home");
mkdirSync(home);
const tags: string[] = [];
afterAll(() => {
  removeImages(tags);
  rmSync(work, { recursive: true, force: true });
});

const roots = ["/dev/shm", tmpdir()];
const tag = (): string => {
  const t = `sbtest-faults-${randomBytes(5).toString("hex")}`;
  tags.push(t);
  return t;
};
function context(lines: readonly string[]): string {
  const dir = mkdtempSync(join(work, "ctx-"));
  writeFileSync(join(dir, "Dockerfile"), ["ARG BASE=local/busybox:1", "FROM $BASE", ...lines, ""].join("\n"));
  return dir;
}
const build = (ctx: string, t: string, extra: readonly string[] = []): string[] => [
  "build", "--docker", DOCKER, "--build-arg", "BASE=local/busybox:1", "--no-cache", "--secret", "tok=env:SBTEST_FAULT_TOK", "-t", t, ...extra, ctx,
];
const env = (value: string) => ({ ...neutralEnv, HOME: home, SBTEST_FAULT_TOK: value });

/** Calls `then` once with the child when its stderr first contains `marker` (a RUN's own output). */
function onLog(marker: string, then: (child: ChildProcess) => void) {
  return (child: ChildProcess): void => {
    let seen = "";
    let fired = false;
    child.stderr?.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      if (!fired && seen.includes(marker)) {
        fired = true;
        then(child);
      }
    });
  };
}

const running = (marker: string): boolean => spawnSync("pgrep", ["-f", marker]).status === 0;

describe.runIf(hasEngine)("a signal during a real build", () => {
  test.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const)("%s once the RUN runs: exit %i, builder stopped, temp dir removed, no copy of the secret", async (signal, code) => {
    // no 8 bytes in common with the markers: the log masks pieces of a value (fragments.ts)
    const value = randomSecret("sbsig");
    const since = new Date();
    const id = randomBytes(6).toString("hex");
    const marker = `sbfault-running-${id}`;
    // Quotes split the words in the Dockerfile, so the log holds them only once the RUN prints them.
    const ctx = context([`RUN --mount=type=secret,id=tok,required=true test -s /run/secrets/tok && echo sbfault-run""ning-${id} && sleep 40 && echo sbfault-fini""shed-${id}`]);
    let pid = 0;
    let builders: number[] = [];
    let sentAt = 0;
    const run = await runCli(build(ctx, tag(), ["--no-scan"]), {
      env: env(value),
      secrets: [value],
      onSpawn: onLog(marker, (child) => {
        pid = child.pid ?? 0;
        builders = childrenOf(pid);
        sentAt = Date.now();
        child.kill(signal);
      }),
    });
    const stderr = run.stderr.toString();
    expect(sentAt, stderr).toBeGreaterThan(0);
    expect(run.code, stderr).toBe(code);
    expect(Date.now() - sentAt).toBeLessThan(20_000);
    expect(messageLines(stderr).filter((l) => l.startsWith("safebuild: ") && !l.startsWith("safebuild: building"))).toEqual([`safebuild: interrupted by ${signal}`]);
    expect(builders.length, "the docker CLI was running").toBeGreaterThan(0);
    expect(builders.filter(alive), "docker CLI stopped").toEqual([]);
    expect(await eventually(() => !running(id), 15_000), "the RUN's processes stopped").toBe(true);
    expect(stderr).not.toContain(`sbfault-finished-${id}`);
    expect(secretDirs(roots, pid)).toEqual([]);
    expect(filesHolding(value, since, [home])).toEqual([]);
    expect(encodingsIn(run.output, value)).toEqual([]);
  });
});

describe.runIf(hasEngine)("two builds at once", () => {
  test("same secret ids, different tags: both succeed, neither sweeps the other's live temp dir", async () => {
    // no 8 bytes in common with the markers: the log masks pieces of a value (fragments.ts)
    const [va, vb] = [randomSecret("sbtwin-a"), randomSecret("sbtwin-b")];
    const [ia, ib] = [randomBytes(6).toString("hex"), randomBytes(6).toString("hex")];
    const [ma, mb] = [`sbfault-twin-${ia}`, `sbfault-twin-${ib}`];
    // The secret is read only after the sleep: after the other run has started (and swept).
    const lines = (m: string): string[] => [
      `RUN echo ${m.replace("twin", 'tw""in')} && sleep 6`,
      "RUN --mount=type=secret,id=tok,required=true test -s /run/secrets/tok && sha256sum /run/secrets/tok | cut -d' ' -f1 > /tok.sha",
    ];
    const [ta, tb] = [tag(), tag()];
    let aPid = 0;
    let aDirsWhileB: string[] = [];
    let second: Promise<CliRun> | undefined;
    const first = runCli(build(context(lines(ma)), ta, ["--no-scan"]), {
      env: env(va),
      secrets: [va, vb],
      onSpawn: onLog(ma, (child) => {
        aPid = child.pid ?? 0;
        second = runCli(build(context(lines(mb)), tb, ["--no-scan"]), {
          env: env(vb),
          secrets: [va, vb],
          onSpawn: onLog(mb, () => (aDirsWhileB = secretDirs(roots, aPid))),
        });
      }),
    });
    const a = await first;
    expect(second, a.stderr.toString()).toBeDefined();
    const b = await (second as Promise<CliRun>);
    expect(a.code, a.stderr.toString()).toBe(0);
    expect(b.code, b.stderr.toString()).toBe(0);
    expect(aDirsWhileB, "A's dir was live while B ran").toHaveLength(1);
    const sha = (t: string): string => docker(["run", "--rm", t, "cat", "/tok.sha"]).stdout.trim();
    const { createHash } = await import("node:crypto");
    expect(sha(ta)).toBe(createHash("sha256").update(va).digest("hex"));
    expect(sha(tb)).toBe(createHash("sha256").update(vb).digest("hex"));
    expect(secretDirs(roots, aPid)).toEqual([]);
  });
});

describe.runIf(hasEngine)("the output pipe closed early during a real build", () => {
  test("`safebuild build --format json … | head -c 0`: no crash, exit 0, temp dir removed", async () => {
    const value = randomSecret("sbfault-pipe");
    const ctx = context(["RUN --mount=type=secret,id=tok,required=true test -s /run/secrets/tok && echo ok > /ok"]);
    let pid = 0;
    const run = await runCli(build(ctx, tag(), ["--format", "json"]), {
      env: env(value),
      secrets: [value],
      onSpawn: (child) => {
        pid = child.pid ?? 0;
        child.stdout?.destroy();
      },
    });
    const stderr = run.stderr.toString();
    expect(run.signal).toBeNull();
    expect(run.code, stderr).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|internal error/);
    expect(stderr).not.toMatch(noStackTrace);
    expect(secretDirs(roots, pid)).toEqual([]);
  });
});

describe.runIf(hasEngine)("a RUN that prints the secret", () => {
  test("raw, base64, hex (od, xxd), split across writes, wrapped in ANSI colours: none of it in the log", async () => {
    // base64 wraps at 76 columns: keep the value short enough for one line.
    const value = randomSecret("sbfault-mask", 24);
    const f = "/run/secrets/tok";
    const head = `"$(head -c 12 ${f})"`;
    const tail = `"$(tail -c +13 ${f})"`;
    const ctx = context([
      `RUN --mount=type=secret,id=tok,required=true set -e; \\`,
      `  echo "raw: $(cat ${f})"; \\`,
      `  echo "base64: $(base64 ${f})"; \\`,
      `  echo "base64url: $(base64 ${f} | tr '+/' '-_' | tr -d '=')"; \\`,
      `  echo "hex-od: $(od -A n -t x1 ${f} | tr -d ' \\n')"; \\`,
      `  echo "HEX-od: $(od -A n -t x1 ${f} | tr -d ' \\n' | tr a-f A-F)"; \\`,
      `  echo "hex-xxd: $(xxd -p ${f} | tr -d '\\n')"; \\`,
      `  echo -n "split: "; echo -n ${head}; echo ${tail}; \\`,
      `  printf 'ansi: \\033[31m%s\\033[0m%s\\n' ${head} ${tail}; \\`,
      `  printf 'ansi-bold: \\033[1m%s\\033[22m\\n' "$(cat ${f})"; \\`,
      `  printf 'progress: 10%%\\rdone %s\\n' "$(cat ${f})"`,
    ]);
    const run = await runCli(build(ctx, tag(), ["--format", "json"]), { env: env(value), secrets: [value] });
    const stderr = run.stderr.toString();
    expect(run.code, stderr).toBe(0);
    for (const label of ["raw:", "base64:", "base64url:", "hex-od:", "HEX-od:", "hex-xxd:", "split:", "ansi:", "ansi-bold:"]) {
      expect(stderr, `the RUN printed ${label}`).toContain(label);
    }
    expect(encodingsIn(run.stderr, value), "in the log as printed").toEqual([]);
    expect(encodingsIn(stripAnsi(stderr), value), "in the log without ANSI").toEqual([]);
    expect(encodingsIn(stripAnsi(stderr).replace(/\r/g, "\n"), value), "in the log with CR rewrites as lines").toEqual([]);
    expect(encodingsIn(run.stdout, value), "in the report").toEqual([]);
    expect((stderr.match(/\*\*\*/g) ?? []).length, "masked occurrences").toBeGreaterThanOrEqual(7);
  });
});
