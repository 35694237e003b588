import { spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runCli, type CliRun } from "../helpers/cli.js";
import { alive, eventually, makeRecordingDocker, neutralEnv, randomSecret } from "./fault-kit.js";

// Runs in separate pid namespaces share one tmpfs (containers with --ipc=host, a shared
// XDG_RUNTIME_DIR or SAFEBUILD_TMPDIR): a pid in a directory's name means nothing to a run
// in another namespace, so its sweep must leave the directory alone. Real processes:
// `unshare --pid --fork --mount-proc` (root), each run's fake builder held until released.
const fake = makeRecordingDocker();
const work = mkdtempSync(join(tmpdir(), "sbtest-sweepns-"));
const shared = mkdtempSync(join("/dev/shm", "sbtest-sweepns-"));
const release = join(work, "release");
const running: Promise<CliRun>[] = [];
const spawned: ChildProcess[] = [];
let usable = false;

beforeAll(() => {
  const r = spawnSync("unshare", ["--pid", "--fork", "--mount-proc", "true"], { encoding: "utf8" });
  usable = r.status === 0 && process.getuid?.() === 0;
  if (!usable && process.env["CI"] === "true") throw new Error(`CI=true but cannot make a pid namespace (run as root with util-linux unshare): ${r.stderr}`);
  writeFileSync(join(work, "Dockerfile"), "FROM scratch\nRUN --mount=type=secret,id=tok true\n");
});
afterAll(async () => {
  writeFileSync(release, "");
  for (const child of spawned) if (child.pid !== undefined && alive(child.pid)) child.kill("SIGKILL");
  await Promise.allSettled(running);
  fake.cleanup();
  rmSync(work, { recursive: true, force: true });
  rmSync(shared, { recursive: true, force: true });
});

/** A new pid namespace whose safebuild gets pid `pid` (so names differ from the other runs'). */
const namespaceAt = (pid: number): string[] => [
  "unshare", "--pid", "--fork", "--mount-proc", "--kill-child",
  "sh", "-c", `echo ${pid - 1} > /proc/sys/kernel/ns_last_pid && "$@"; exit $?`, "sh",
];

function build(value: string, wait: boolean) {
  return {
    args: ["build", "--docker", fake.path, "--no-scan", "--secret", "tok=env:SBTEST_SWEEPNS_TOK", work],
    env: {
      ...neutralEnv,
      SAFEBUILD_TMPDIR: shared,
      SBTEST_SWEEPNS_TOK: value,
      FAULT_DOCKER_RECORD: fake.recordFile,
      ...(wait ? { FAULT_DOCKER_WAIT_FOR: release } : {}),
    },
    secrets: [value],
  };
}

/** Starts a build held in its builder; resolves once its secret directory exists and the builder has it. */
async function startHeld(prefix: string[], value: string, namePid: number): Promise<{ done: Promise<CliRun>; dir: string; child: ChildProcess }> {
  const b = build(value, true);
  let child: ChildProcess | undefined;
  let seen = "";
  const done = runCli(b.args, {
    env: b.env,
    secrets: b.secrets,
    prefix,
    onSpawn: (c) => {
      child = c;
      spawned.push(c);
      c.stderr?.on("data", (chunk: Buffer) => (seen += chunk.toString()));
    },
  });
  running.push(done);
  expect(await eventually(() => seen.includes("RUN wait"), 60_000), seen).toBe(true);
  const dirs = readdirSync(shared).filter((n) => n.startsWith(`safebuild-${namePid}-`));
  expect(dirs, `${namePid} in ${readdirSync(shared).join(" ")}`).toHaveLength(1);
  if (child === undefined) throw new Error("not spawned");
  return { done, dir: join(shared, dirs[0] ?? ""), child };
}

/** The process `unshare` forked as pid 1 of its namespace (to enter that namespace later). */
function namespaceInit(unsharePid: number): number {
  const r = spawnSync("ps", ["-o", "pid=", "--ppid", String(unsharePid)], { encoding: "utf8" });
  return Number(r.stdout.trim().split("\n")[0]);
}

describe("two runs in different pid namespaces sharing one tmpfs", () => {
  test("neither sweeps the other's live directory; both builds succeed; a provably dead run's directory is swept", async (t) => {
    if (!usable) t.skip();
    const a = await startHeld(namespaceAt(3000), randomSecret("sbsweepns-a"), 3000);
    // B starts (and sweeps) while A is live: in B's namespace there is no pid 3000.
    const b = await startHeld(namespaceAt(5000), randomSecret("sbsweepns-b"), 5000);
    expect(existsSync(a.dir), "B's sweep removed A's directory").toBe(true);

    // A run inside A's namespace sweeps while B is live: there is no pid 5000 there.
    const inA = ["nsenter", "--target", String(namespaceInit(a.child.pid ?? 0)), "--pid", "--mount", "--"];
    const e = build(randomSecret("sbsweepns-e"), false);
    const quick = await runCli(e.args, { env: e.env, secrets: e.secrets, prefix: inA });
    expect(quick.code, quick.output).toBe(0);
    expect(existsSync(b.dir), "a run in A's namespace removed B's directory").toBe(true);

    // A run here killed mid-build: its owner is provably dead, and the next run here sweeps it.
    const k = build(randomSecret("sbsweepns-k"), true);
    let killedPid = 0;
    const killed = await runCli(k.args, {
      env: k.env,
      secrets: k.secrets,
      onSpawn: (c) => {
        killedPid = c.pid ?? 0;
        let seen = "";
        c.stderr?.on("data", (chunk: Buffer) => {
          seen += chunk.toString();
          if (seen.includes("RUN wait")) c.kill("SIGKILL");
        });
      },
    });
    expect(killed.signal).toBe("SIGKILL");
    const left = readdirSync(shared).filter((n) => n.startsWith(`safebuild-${killedPid}-`));
    expect(left).toHaveLength(1);
    const n = build(randomSecret("sbsweepns-n"), false);
    const next = await runCli(n.args, { env: n.env, secrets: n.secrets });
    expect(next.code, next.output).toBe(0);
    expect(next.stderr.toString()).toMatch(/removed \d+ secret director(y|ies) left by a killed run/);
    expect(existsSync(join(shared, left[0] ?? "")), "the dead run's directory").toBe(false);
    expect(existsSync(a.dir) && existsSync(b.dir), "the live runs' directories").toBe(true);

    // Released, each held build reads its secret again, finishes and removes its own directory.
    writeFileSync(release, "");
    const [doneA, doneB] = await Promise.all([a.done, b.done]);
    expect(doneA?.code, doneA?.output).toBe(0);
    expect(doneB?.code, doneB?.output).toBe(0);
    expect(readdirSync(shared).filter((name) => name.startsWith("safebuild-"))).toEqual([]);
  }, 180_000);
});
