import { closeSync, constants, mkdtempSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { describeFsError, environmentError } from "../errors.js";
import type { ResolvedSecret } from "../secrets/secret.js";
import { onExitCleanup } from "./exit-guard.js";
import { writeOwnerFile } from "./owner-file.js";
import { selfIdentity } from "./process-identity.js";
import { wipeDir } from "./wipe-dir.js";

export const SECRET_DIR_PREFIX = "safebuild-";
/** `safebuild-<pid>-<6 random chars>`; the sweep judges by the owner file inside (owner-file.ts). */
export const SECRET_DIR_NAME = /^safebuild-(\d+)-[A-Za-z0-9]{6}$/;

export interface MaterializedSecret {
  readonly id: string;
  /** The file BuildKit reads (`--secret id=ID,src=PATH`). */
  readonly path: string;
}

export interface SecretDir {
  readonly path: string;
  readonly files: readonly MaterializedSecret[];
  /** Zero, remove and verify. Idempotent. Throws an environment error if the directory survives. */
  dispose(): void;
}

/**
 * One private directory (0700) per run under `root`, one file (0600, created exclusively,
 * never following a link) per secret, written from its bytes. Files are named by position,
 * not by id: an id such as `..` must not become a path.
 */
export function materializeSecrets(root: string, secrets: readonly ResolvedSecret[]): SecretDir {
  const dir = mkdtempSync(join(root, `${SECRET_DIR_PREFIX}${process.pid}-`));
  let disposed = false;
  const dispose = (): void => {
    if (disposed) return;
    disposed = true;
    unguard();
    if (!wipeDir(dir)) throw environmentError(`could not remove the secret directory ${dir}: remove it by hand`);
  };
  const unguard = onExitCleanup(() => void wipeDir(dir));
  try {
    try {
      writeOwnerFile(dir, selfIdentity());
    } catch (error) {
      throw environmentError(`cannot write the owner file of ${dir}: ${describeFsError(error)}`, error);
    }
    const files = secrets.map((secret, index) => {
      const path = join(dir, String(index));
      writeExclusive(path, secret.value.expose(), secret.id);
      return { id: secret.id, path };
    });
    return { path: dir, files, dispose };
  } catch (error) {
    try {
      dispose();
    } catch {
      // The write error is the one to report.
    }
    throw error;
  }
}

function writeExclusive(path: string, bytes: Buffer, id: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
  } catch (error) {
    throw environmentError(`cannot write secret "${id}" to its temporary file in ${path.slice(0, path.lastIndexOf("/"))}: ${describeFsError(error)}`, error);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
