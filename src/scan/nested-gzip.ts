import { once } from "node:events";
import { createGunzip } from "node:zlib";
import { ChunkSearcher } from "./chunk-search.js";
import type { NeedleTable } from "./needles.js";

/** Bounds for a gzip file found inside a layer: a bomb must not stall or exhaust the scan. */
export const NESTED_GZIP_LIMITS = { maxOutput: 64 * 1024 * 1024, maxRatio: 200, ratioFloor: 1024 * 1024 } as const;

export interface NestedGzip {
  write(chunk: Buffer): Promise<void>;
  /** Resolves true when the output was cut at a limit. */
  end(): Promise<boolean>;
}

/**
 * Scans the decompressed content of a gzip file as its compressed bytes stream past.
 * A corrupt member ends the inner scan quietly: the compressed bytes were scanned as they are.
 */
export function startNestedGzip(needles: NeedleTable, onMatch: (tag: number) => void): NestedGzip {
  const gunzip = createGunzip();
  const searcher = new ChunkSearcher(needles.matcher, needles.lengths);
  let input = 0;
  let output = 0;
  let stopped = false;
  let truncated = false;
  const consumer = (async () => {
    try {
      for await (const chunk of gunzip as AsyncIterable<Buffer>) {
        output += chunk.length;
        const { maxOutput, maxRatio, ratioFloor } = NESTED_GZIP_LIMITS;
        if (output > maxOutput || (output > ratioFloor && output > input * maxRatio)) {
          truncated = true;
          break;
        }
        searcher.push(chunk, onMatch);
      }
    } catch {
      // not gzip after all, or cut short: nothing more to scan
    }
    stopped = true;
    gunzip.destroy();
  })();
  return {
    async write(chunk) {
      if (stopped) return;
      input += chunk.length;
      if (!gunzip.write(chunk)) await Promise.race([once(gunzip, "drain").catch(() => undefined), consumer]);
    },
    async end() {
      if (!stopped) gunzip.end();
      await consumer;
      return truncated;
    },
  };
}
