import { closeSync, constants, openSync, readSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { ProcessIdentity } from "./process-identity.js";

/** Inside each secret directory, next to the secret files (named 0, 1, …): who made it. */
export const OWNER_FILE = "owner";
const MAX_OWNER_BYTES = 4096;

/** Written (0600, exclusive, no link followed) before any secret file, so a directory with secrets has one. */
export function writeOwnerFile(dir: string, owner: ProcessIdentity): void {
  const bytes = Buffer.from(`${JSON.stringify({ v: 1, pid: owner.pid, start: owner.start, pidNs: owner.pidNs, boot: owner.boot })}\n`);
  const fd = openSync(join(dir, OWNER_FILE), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
  } finally {
    closeSync(fd);
  }
}

/** The recorded owner, or undefined when the file is missing, unreadable or not one we wrote. */
export function readOwnerFile(dir: string): ProcessIdentity | undefined {
  let text: string;
  try {
    const fd = openSync(join(dir, OWNER_FILE), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const buffer = Buffer.alloc(MAX_OWNER_BYTES);
      const length = readSync(fd, buffer, 0, buffer.length, 0);
      text = buffer.toString("utf8", 0, length);
    } finally {
      closeSync(fd);
    }
    return parseOwner(JSON.parse(text));
  } catch {
    return undefined;
  }
}

const nullableString = (value: unknown): value is string | null => value === null || typeof value === "string";

function parseOwner(value: unknown): ProcessIdentity | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { v, pid, start, pidNs, boot } = value as Record<string, unknown>;
  if (v !== 1 || typeof pid !== "number" || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
  if (!nullableString(start) || !nullableString(pidNs) || !nullableString(boot)) return undefined;
  return { pid, start, pidNs, boot };
}
