import { readFileSync, readlinkSync } from "node:fs";

/**
 * What tells one process from another across pid reuse, pid namespaces and reboots (Linux
 * /proc). A field is null where the system does not say (no /proc: macOS, a locked-down
 * container); the sweep then cannot prove anything that needs it.
 */
export interface ProcessIdentity {
  readonly pid: number;
  /** Field 22 of /proc/PID/stat: start time in clock ticks after boot; a reused pid has another. */
  readonly start: string | null;
  /** `pid:[INODE]` of /proc/self/ns/pid: pids mean something only inside one namespace. */
  readonly pidNs: string | null;
  /** /proc/sys/kernel/random/boot_id: start times mean something only inside one boot. */
  readonly boot: string | null;
}

export type StartTime = { readonly kind: "gone" } | { readonly kind: "start"; readonly start: string } | { readonly kind: "unknown" };

/**
 * The start time of `pid` in this process's pid namespace. Only asked when /proc belongs to
 * that namespace (see procIsOurs): otherwise /proc/PID is some other process.
 */
export function startTimeOf(pid: number | "self"): StartTime {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ESRCH: the entry vanished between lookup and read.
    return code === "ENOENT" || code === "ESRCH" ? { kind: "gone" } : { kind: "unknown" };
  }
  // comm (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const start = fields[22 - 3];
  return start !== undefined && /^\d+$/.test(start) ? { kind: "start", start } : { kind: "unknown" };
}

/**
 * Whether /proc shows our own pid namespace: NSpid lists a pid for each namespace from the
 * one /proc was mounted in down to ours, so one entry means they are the same. A container
 * made without its own /proc mount (`unshare --pid` alone) shows its parent's.
 */
export function procIsOurs(): boolean {
  const nspid = readOr(() => readFileSync("/proc/self/status", "latin1"))?.match(/^NSpid:\s*(.*)$/m)?.[1];
  return nspid !== undefined && nspid.trim() === String(process.pid);
}

function readOr(read: () => string): string | null {
  try {
    return read();
  } catch {
    return null;
  }
}

let self: ProcessIdentity | undefined;

export function selfIdentity(): ProcessIdentity {
  if (self !== undefined) return self;
  const start = startTimeOf("self");
  self = {
    pid: process.pid,
    start: start.kind === "start" ? start.start : null,
    pidNs: readOr(() => readlinkSync("/proc/self/ns/pid")),
    boot: readOr(() => readFileSync("/proc/sys/kernel/random/boot_id", "latin1").trim()),
  };
  return self;
}

/** When this kernel booted (ms since the epoch, rounded down to the second), from /proc/stat. */
export function bootTimeMs(): number | null {
  const btime = readOr(() => readFileSync("/proc/stat", "latin1"))?.match(/^btime (\d+)$/m)?.[1];
  return btime === undefined ? null : Number(btime) * 1000;
}
