import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Replaces `dir/file` with `value` as JSON, private (dir 0700, file 0600) and whole (a temp file
 * renamed over it). Best effort: false when it cannot be written (read-only home, full disk).
 */
export function writeCacheFile(dir: string, file: string, value: unknown): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const temp = join(dir, `${file}.${process.pid}.tmp`);
    writeFileSync(temp, JSON.stringify(value), { mode: 0o600 });
    renameSync(temp, join(dir, file));
    return true;
  } catch {
    return false;
  }
}
