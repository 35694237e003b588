import { createHash } from "node:crypto";

/**
 * Bytes that look random and are the same on every run of one seed (sha256 in counter mode), for
 * tests where randomness is the point: a failure names its seed, and `SBTEST_SEED` replays it.
 */
export function seededBytes(seed: string, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let block = 0, at = 0; at < length; block += 1, at += 32) {
    createHash("sha256").update(`${seed}:${block}`).digest().copy(out, at, 0, Math.min(32, length - at));
  }
  return out;
}

/** The seed of this run: `SBTEST_SEED` when set (to replay a failure), else a fresh one. */
export const testSeed = (): string => process.env["SBTEST_SEED"] ?? Math.random().toString(36).slice(2, 10);
