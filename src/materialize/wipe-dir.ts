import { closeSync, constants, existsSync, fstatSync, openSync, readdirSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";

const ZEROS = Buffer.alloc(64 * 1024);

/** Overwrites a regular file with zeros (symlinks are not followed), so a stale page holds nothing. */
function zeroFile(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_NOFOLLOW);
    const stat = fstatSync(fd);
    if (!stat.isFile()) return;
    for (let at = 0; at < stat.size; at += ZEROS.length) writeSync(fd, ZEROS, 0, Math.min(ZEROS.length, stat.size - at), at);
  } catch {
    // Removal below is what matters; zeroing is a courtesy.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Zeroes every file of a (flat) secret directory, removes it, and checks it is gone.
 * Synchronous so it can run from a process 'exit' handler. Returns false if it remains.
 */
export function wipeDir(dir: string): boolean {
  try {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isFile()) zeroFile(join(dir, entry.name));
    }
  } catch {
    // Unreadable or already gone: rmSync decides.
  }
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // Verified below.
  }
  return !existsSync(dir);
}
