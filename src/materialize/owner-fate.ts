import type { ProcessIdentity, StartTime } from "./process-identity.js";

/** A directory without an owner file is judged by its name's pid only once it is this old. */
export const OWNERLESS_AGE_MS = 24 * 60 * 60 * 1000;

export type Fate = "dead" | "alive" | "unknown";

/** What the sweeping process knows about its own world, as data so the rules can be tested. */
export interface Here {
  readonly self: ProcessIdentity;
  /** /proc shows our pid namespace, so /proc/PID is the process `PID` we would see. */
  readonly procIsOurs: boolean;
  readonly hasPidNamespaces: boolean;
  readonly bootTimeMs: number | null;
  readonly nowMs: number;
  startTimeOf(pid: number): StartTime;
  /** kill(pid, 0) in our namespace: false only on ESRCH. */
  pidExists(pid: number): boolean;
}

export interface DirFacts {
  /** The pid in the directory's name (`safebuild-PID-XXXXXX`). */
  readonly namePid: number;
  readonly mtimeMs: number;
  /** The owner file's record, undefined if missing or unreadable. */
  readonly owner: ProcessIdentity | undefined;
}

/**
 * Whether the run that made a secret directory is provably gone. "unknown" (another pid
 * namespace, a record we cannot check) means leave it: a live run's directory must survive.
 */
export function ownerFate(dir: DirFacts, here: Here): Fate {
  const { owner } = dir;
  // Made by a safebuild before owner files, or killed between mkdir and writing the file
  // (an empty directory). A live run writes its owner file within a millisecond of mkdir.
  if (owner === undefined) return here.nowMs - dir.mtimeMs > OWNERLESS_AGE_MS && !here.pidExists(dir.namePid) ? "dead" : "unknown";
  const { self } = here;
  if (owner.boot !== null && self.boot !== null && owner.boot !== self.boot) {
    // Another boot of this kernel, and nothing touched the directory since: a network or
    // disk folder shared with another machine has other boot ids and live runs.
    return here.bootTimeMs !== null && dir.mtimeMs < here.bootTimeMs ? "dead" : "unknown";
  }
  if (!here.hasPidNamespaces && owner.pidNs === null && self.pidNs === null) return here.pidExists(owner.pid) ? "alive" : "dead";
  if (owner.boot === null || owner.boot !== self.boot) return "unknown";
  if (owner.pidNs === null || owner.pidNs !== self.pidNs || !here.procIsOurs) return "unknown";
  const now = here.startTimeOf(owner.pid);
  if (now.kind === "gone") return "dead";
  if (now.kind === "unknown" || owner.start === null) return "unknown";
  // Same pid, other start time: the pid was reused after our owner died.
  return now.start === owner.start ? "alive" : "dead";
}
