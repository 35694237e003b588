import { accessSync, constants, statSync, statfsSync } from "node:fs";
import { tmpdir } from "node:os";

/** Filesystems that live in memory: a file there never reaches a disk (swap aside). */
const MEMORY_FS = new Set([0x01021994 /* tmpfs */, 0x858458f6 /* ramfs */]);

export interface TempRoot {
  readonly path: string;
  readonly inMemory: boolean;
}

/** Where secret directories may be made, best first. `SAFEBUILD_TMPDIR` overrides all. */
export function tempRootCandidates(env: NodeJS.ProcessEnv): string[] {
  const candidates = [env["SAFEBUILD_TMPDIR"], env["XDG_RUNTIME_DIR"], "/dev/shm", tmpdir()];
  return [...new Set(candidates.filter((c): c is string => c !== undefined && c !== ""))];
}

export function isInMemoryFs(path: string): boolean {
  try {
    return MEMORY_FS.has(statfsSync(path).type);
  } catch {
    return false;
  }
}

function usableDir(path: string): boolean {
  try {
    if (!statSync(path).isDirectory()) return false;
    accessSync(path, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The first in-memory candidate we can write to; an explicit `SAFEBUILD_TMPDIR` is taken as
 * it is; else the OS temp dir, and the caller warns that secrets will touch the disk.
 */
export function chooseTempRoot(env: NodeJS.ProcessEnv): TempRoot {
  const explicit = env["SAFEBUILD_TMPDIR"];
  if (explicit !== undefined && explicit !== "" && usableDir(explicit)) return { path: explicit, inMemory: isInMemoryFs(explicit) };
  for (const path of tempRootCandidates(env)) {
    if (usableDir(path) && isInMemoryFs(path)) return { path, inMemory: true };
  }
  return { path: tmpdir(), inMemory: isInMemoryFs(tmpdir()) };
}
