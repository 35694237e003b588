import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { materializeSecrets, SECRET_DIR_NAME } from "../../src/materialize/secret-dir.js";
import { OWNERLESS_AGE_MS } from "../../src/materialize/owner-fate.js";
import { OWNER_FILE } from "../../src/materialize/owner-file.js";
import { selfIdentity } from "../../src/materialize/process-identity.js";
import { sweepStaleDirs } from "../../src/materialize/sweep.js";
import { chooseTempRoot, isInMemoryFs, tempRootCandidates } from "../../src/materialize/temp-root.js";
import { SecretValue } from "../../src/secrets/secret-value.js";
import type { ResolvedSecret } from "../../src/secrets/secret.js";

const scratch = mkdtempSync(join(tmpdir(), "sbtest-materialize-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const secret = (id: string, bytes: Buffer): ResolvedSecret => ({ id, kind: "env", value: SecretValue.copyOf(bytes) });

describe("materializeSecrets", () => {
  test("0700 dir, 0600 files named by position, exact bytes, removed on dispose", () => {
    const a = randomBytes(64);
    const b = Buffer.from("line1\nline2\n");
    const dir = materializeSecrets(scratch, [secret("..", a), secret("b", b)]);
    expect(SECRET_DIR_NAME.test(dir.path.split("/").at(-1) ?? "")).toBe(true);
    expect(statSync(dir.path).mode & 0o777).toBe(0o700);
    expect(dir.files.map((f) => [f.id, f.path.split("/").at(-1)])).toEqual([["..", "0"], ["b", "1"]]);
    for (const f of dir.files) expect(statSync(f.path).mode & 0o777).toBe(0o600);
    expect(readFileSync(dir.files[0]?.path ?? "")).toEqual(a);
    expect(readFileSync(dir.files[1]?.path ?? "")).toEqual(b);
    dir.dispose();
    expect(existsSync(dir.path)).toBe(false);
    dir.dispose();
  });

  test("a failing write leaves no directory behind", () => {
    const wiped = SecretValue.copyOf(Buffer.from("x"));
    wiped.wipe();
    const before = new Set(listOurs());
    expect(() => materializeSecrets(scratch, [{ id: "gone", kind: "env", value: wiped }])).toThrow();
    expect(listOurs().filter((d) => !before.has(d))).toEqual([]);
  });
});

function listOurs(): string[] {
  return readdirNames(scratch).filter((n) => n.startsWith(`safebuild-${process.pid}-`));
}
function readdirNames(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe("sweepStaleDirs", () => {
  const me = selfIdentity();
  const deadPid = (): number => {
    const r = spawnSync("true");
    return r.pid ?? 999_999;
  };
  const plant = (dirName: string, owner: object | "none", mtimeMs?: number): { root: string; path: string } => {
    const root = mkdtempSync(join(scratch, "sweep-"));
    const path = join(root, dirName);
    mkdirSync(path, { mode: 0o700 });
    writeFileSync(join(path, "0"), "leftover");
    if (owner !== "none") writeFileSync(join(path, OWNER_FILE), JSON.stringify(owner), { mode: 0o600 });
    if (mtimeMs !== undefined) utimesSync(path, mtimeMs / 1000, mtimeMs / 1000);
    return { root, path };
  };
  const dayAgo = Date.now() - OWNERLESS_AGE_MS - 60_000;

  test.each([
    ["owner dead (same boot and namespace)", "safebuild-999999-abcdef", () => ({ ...me, v: 1, pid: deadPid(), start: "1" }), undefined, true],
    ["owner's pid reused (start time differs)", "safebuild-1-abcdef", () => ({ ...me, v: 1, pid: 1, start: "999999999999" }), undefined, true],
    ["owner alive: this process", `safebuild-${process.pid}-abcdef`, () => ({ ...me, v: 1 }), undefined, false],
    ["owner alive: init", "safebuild-1-abcdef", () => ({ ...me, v: 1, pid: 1, start: readStart(1) }), undefined, false],
    ["owner in another pid namespace", "safebuild-999999-abcdef", () => ({ ...me, v: 1, pid: deadPid(), pidNs: "pid:[1]" }), undefined, false],
    ["no owner file, recent", "safebuild-999999-abcdef", () => "none" as const, undefined, false],
    ["no owner file, a day old, pid gone", `safebuild-${deadPid()}-abcdef`, () => "none" as const, dayAgo, true],
    ["garbage owner file, recent", "safebuild-999999-abcdef", () => ({ v: 2 }), undefined, false],
    ["foreign name", "safebuild-999999-abc", () => ({ ...me, v: 1, pid: deadPid() }), undefined, false],
    ["other prefix", "other-999999-abcdef", () => ({ ...me, v: 1, pid: deadPid() }), undefined, false],
  ])("%s", (_name, dirName, owner, mtimeMs, removed) => {
    const { root, path } = plant(dirName, owner(), mtimeMs);
    expect(sweepStaleDirs([root, join(scratch, "missing")])).toEqual(removed ? [path] : []);
    expect(existsSync(path)).toBe(!removed);
  });

  test("a materialized directory records its owner (0600) and survives a sweep; dead once its record says so", () => {
    const dir = materializeSecrets(scratch, [secret("a", Buffer.from("sweep-me-not"))]);
    const ownerFile = join(dir.path, OWNER_FILE);
    expect(statSync(ownerFile).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(ownerFile, "utf8"))).toEqual({ v: 1, ...me });
    expect(me.start).toMatch(/^\d+$/);
    expect(me.pidNs).toMatch(/^pid:\[\d+\]$/);
    expect(sweepStaleDirs([scratch])).toEqual([]);
    expect(existsSync(dir.files[0]?.path ?? "")).toBe(true);
    dir.dispose();
  });
});

function readStart(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? "";
}

describe("temp root", () => {
  test("prefers SAFEBUILD_TMPDIR, then XDG_RUNTIME_DIR, then /dev/shm", () => {
    expect(tempRootCandidates({ SAFEBUILD_TMPDIR: "/a", XDG_RUNTIME_DIR: "/b" }).slice(0, 3)).toEqual(["/a", "/b", "/dev/shm"]);
  });
  test("an explicit root is used as it is and reports whether it is in memory", () => {
    expect(chooseTempRoot({ SAFEBUILD_TMPDIR: scratch })).toEqual({ path: scratch, inMemory: isInMemoryFs(scratch) });
  });
  test("a non-tmpfs XDG_RUNTIME_DIR is skipped for /dev/shm when that is tmpfs", () => {
    const root = chooseTempRoot({ XDG_RUNTIME_DIR: scratch });
    if (isInMemoryFs("/dev/shm") && !isInMemoryFs(scratch)) expect(root).toEqual({ path: "/dev/shm", inMemory: true });
    else expect(root.path).toBeTruthy();
  });
});
