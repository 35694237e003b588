import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { readOwnerFile } from "../../src/materialize/owner-file.js";
import { variantsOf } from "../../src/match/variants.js";

/** The environment every fault test starts from: no CI masking, no forced temp root. */
export const neutralEnv = { GITHUB_ACTIONS: undefined, SAFEBUILD_TMPDIR: undefined, XDG_RUNTIME_DIR: undefined } as const;

export interface RecordedSecret {
  readonly id: string;
  readonly src: string;
  readonly mode: number;
  readonly dirMode: number;
  readonly fsType: number;
  readonly size: number;
  readonly sha256: string;
}
export interface RecordedCall {
  readonly pid: number;
  readonly argv: string[];
  readonly env: Record<string, string>;
  readonly secrets: RecordedSecret[];
}

export interface RecordingDocker {
  readonly path: string;
  readonly recordFile: string;
  calls(): RecordedCall[];
  cleanup(): void;
}

/** test/faults/fixtures/recording-docker.mjs, copied executable into a private bin dir. */
export function makeRecordingDocker(): RecordingDocker {
  const bin = mkdtempSync(join(tmpdir(), "sbtest-faults-bin-"));
  const path = join(bin, "docker");
  copyFileSync(resolve(import.meta.dirname, "fixtures/recording-docker.mjs"), path);
  chmodSync(path, 0o755);
  const recordFile = join(bin, "calls.jsonl");
  return {
    path,
    recordFile,
    calls: () =>
      existsSync(recordFile)
        ? readFileSync(recordFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as RecordedCall)
        : [],
    cleanup: () => rmSync(bin, { recursive: true, force: true }),
  };
}

/** A random printable secret with a recognisable prefix. */
export const randomSecret = (prefix: string, bytes = 24): string => `${prefix}-${randomBytes(bytes).toString("base64url")}`;

/** Every encoding the scanner and masker know for `value` (8 bytes or more, as the audit uses). */
export function encodingsOf(value: string | Buffer): { encoding: string; bytes: Buffer }[] {
  return variantsOf("t", Buffer.from(value))
    .filter((v) => v.bytes.length >= 8)
    .map((v) => ({ encoding: v.encoding, bytes: Buffer.from(v.bytes) }));
}

/** The encodings of `value` found in `haystack`, by name (empty: none). */
export function encodingsIn(haystack: string | Buffer, value: string | Buffer): string[] {
  const bytes = Buffer.from(haystack);
  return encodingsOf(value).filter((v) => bytes.includes(v.bytes)).map((v) => v.encoding);
}

export const TMPFS_MAGIC = 0x01021994;

/**
 * safebuild secret directories under the usual roots, or only those of one run (`pid`): named
 * after it, or with an owner file naming it. Other runs' live directories (a parallel suite,
 * another checkout) are not this run's leftovers.
 */
export function secretDirs(roots: readonly (string | undefined)[] = ["/dev/shm", tmpdir()], pid?: number): string[] {
  const ofRun = (root: string, name: string): boolean =>
    pid === undefined || name.startsWith(`safebuild-${pid}-`) || readOwnerFile(join(root, name))?.pid === pid;
  return [...new Set(roots.filter((r): r is string => r !== undefined && existsSync(r)))].flatMap((root) =>
    readdirSync(root).filter((n) => /^safebuild-\d+-/.test(n) && ofRun(root, n)).map((n) => join(root, n)),
  );
}

/**
 * Files under the places a stray copy could land that hold `value` raw. Only files written since
 * `since` can hold a copy this run made, so only those are read: a home with gigabytes of
 * toolchains no longer outlasts the timeout. A search that did not finish proves nothing: it throws.
 */
export function filesHolding(value: string, since: Date, extraRoots: readonly string[] = []): string[] {
  const roots = [...new Set(["/tmp", "/dev/shm", "/run", homedir(), ...extraRoots].filter(existsSync))];
  const script = 'since="$1"; value="$2"; shift 2; find "$@" -xdev -type f -newermt "@$since" -print0 2>/dev/null | xargs -0 -r grep -l -F -s --devices=skip -- "$value"';
  const epoch = String(Math.floor(since.getTime() / 1000) - 1);
  const r = spawnSync("timeout", ["120", "bash", "-c", script, "files-holding", epoch, value, ...roots], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.status === 124) throw new Error(`the search of ${roots.join(" ")} for a stray copy timed out`);
  return r.stdout.split("\n").filter(Boolean);
}

/** Whether a process is alive (a zombie counts as gone). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = spawnSync("ps", ["-o", "stat=", "-p", String(pid)], { encoding: "utf8" }).stdout.trim();
  return stat !== "" && !stat.startsWith("Z");
}

/** Direct children of `pid` (from /proc). */
export function childrenOf(pid: number): number[] {
  const r = spawnSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" });
  return r.stdout.split("\n").map((l) => Number(l.trim())).filter((n) => n > 0);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it holds or `ms` pass; returns the last result. */
export async function eventually(check: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await sleep(100);
  }
  return check();
}

/** Lines of stderr that are not warnings or GitHub workflow commands. */
export const messageLines = (stderr: string): string[] =>
  stderr.split("\n").filter((l) => l.trim() !== "" && !l.includes("warning:") && !l.startsWith("::add-mask::"));

export const noStackTrace = /\n\s+at |Error: .*\n\s+at |node:internal/;
