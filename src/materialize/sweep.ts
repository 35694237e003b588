import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { SECRET_DIR_NAME } from "./secret-dir.js";
import { wipeDir } from "./wipe-dir.js";

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is just not ours.
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/**
 * Removes secret directories a killed safebuild left behind (SIGKILL, power loss): only
 * ours by name, owned by this user, real directories, whose process is gone.
 * Returns the directories removed.
 */
export function sweepStaleDirs(roots: readonly string[]): string[] {
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
      const pid = Number(match[1]);
      if (pid === process.pid || processExists(pid)) continue;
      const path = join(root, name);
      try {
        const stat = lstatSync(path);
        if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid)) continue;
      } catch {
        continue;
      }
      if (wipeDir(path)) removed.push(path);
    }
  }
  return removed;
}
