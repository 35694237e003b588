import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ownerFate, type Here } from "./owner-fate.js";
import { readOwnerFile } from "./owner-file.js";
import { bootTimeMs, procIsOurs, selfIdentity, startTimeOf } from "./process-identity.js";
import { SECRET_DIR_NAME } from "./secret-dir.js";
import { wipeDir } from "./wipe-dir.js";

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is just not ours.
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

export function hereNow(): Here {
  return {
    self: selfIdentity(),
    procIsOurs: procIsOurs(),
    hasPidNamespaces: process.platform === "linux",
    bootTimeMs: bootTimeMs(),
    nowMs: Date.now(),
    startTimeOf,
    pidExists,
  };
}

/**
 * Removes secret directories a killed safebuild left behind (SIGKILL, power loss): only
 * ours by name, owned by this user, real directories, whose owner is provably dead (see
 * ownerFate). The temp root may be shared with runs in other pid namespaces: those stay.
 * Returns the directories removed.
 */
export function sweepStaleDirs(roots: readonly string[], here: Here = hereNow()): string[] {
  const uid = process.getuid?.();
  const removed: string[] = [];
  for (const root of roots) {
    let names: string[];
    try {
      names = readdirSync(root);
    } catch {
      continue;
    }
    for (const name of names) {
      const match = SECRET_DIR_NAME.exec(name);
      if (match === null) continue;
      const path = join(root, name);
      let mtimeMs: number;
      try {
        const stat = lstatSync(path);
        if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid)) continue;
        mtimeMs = stat.mtimeMs;
      } catch {
        continue;
      }
      if (ownerFate({ namePid: Number(match[1]), mtimeMs, owner: readOwnerFile(path) }, here) !== "dead") continue;
      if (wipeDir(path)) removed.push(path);
    }
  }
  return removed;
}
