import { randomBytes } from "node:crypto";
import { closeSync, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";

export const KEY_FILE = "fingerprint.key";
const KEY_BYTES = 32;

/**
 * The HMAC key of the secret fingerprints (secret-fingerprints.ts), made once per cache dir.
 * A key anyone else could read, or one that is not ours, is replaced: with it, the stored
 * fingerprints would let them test guesses of a value. A replaced key makes every stored
 * fingerprint stale, which only means one rebuild of the secret steps.
 * Throws when the directory cannot hold a key (read-only, not a directory…).
 */
export function fingerprintKey(dir: string): Buffer {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, KEY_FILE);
  const existing = readKey(path);
  if (existing !== undefined) return existing;
  rmSync(path, { force: true });
  return createKey(path);
}

function readKey(path: string): Buffer | undefined {
  let info;
  try {
    info = lstatSync(path);
  } catch {
    return undefined;
  }
  const ours = process.getuid === undefined || info.uid === process.getuid();
  if (!info.isFile() || !ours || (info.mode & 0o077) !== 0 || info.size !== KEY_BYTES) return undefined;
  const key = readFileSync(path);
  return key.length === KEY_BYTES ? key : undefined;
}

/** `wx`: two builds starting at once do not both write a key; the loser reads the winner's. */
function createKey(path: string): Buffer {
  const key = randomBytes(KEY_BYTES);
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o600);
  } catch (error) {
    const raced = readKey(path);
    if ((error as NodeJS.ErrnoException).code === "EEXIST" && raced !== undefined) return raced;
    throw error;
  }
  try {
    // a umask cannot widen 0600, but an odd filesystem may ignore modes: check what we got
    if ((fstatSync(fd).mode & 0o077) !== 0) throw new Error(`${path} cannot be made private (mode 0600)`);
    writeSync(fd, key);
  } finally {
    closeSync(fd);
  }
  return key;
}
