import { once } from "node:events";
import { createGunzip, gunzipSync } from "node:zlib";
import type { Backlog } from "./backlog.js";
import type { NeedleTable } from "./needles.js";

/** Bounds for a gzip file found inside a layer: a bomb must not stall or exhaust the scan. */
export const NESTED_GZIP_LIMITS = { maxOutput: 64 * 1024 * 1024, maxRatio: 200, ratioFloor: 1024 * 1024 } as const;

/**
 * Files up to this size are gathered and inflated in one synchronous call: a layer holds
 * hundreds of small `.gz` files (man pages, changelogs), and a zlib stream each would cost
 * more than the inflating. Their output is capped at 200 × 64 KiB.
 */
export const SMALL_GZIP_BYTES = 64 * 1024;

export interface NestedGzip {
  /** `chunk` is borrowed (copied when kept). */
  write(chunk: Buffer): void;
  /** The end of the file; the remaining work goes into the backlog. */
  end(): void;
}

const outputCap = (input: number): number =>
  Math.min(NESTED_GZIP_LIMITS.maxOutput, Math.max(NESTED_GZIP_LIMITS.ratioFloor, input * NESTED_GZIP_LIMITS.maxRatio));

/**
 * Scans the decompressed content of a gzip file of `size` bytes as its compressed bytes stream
 * past. A corrupt member ends the inner scan quietly (what inflated before it is scanned): the
 * compressed bytes were scanned as they are. `onTruncated` is called when a limit cut the output.
 */
export function startNestedGzip(
  needles: NeedleTable,
  size: number,
  backlog: Backlog,
  onMatch: (tag: number) => void,
  onTruncated: () => void,
): NestedGzip {
  if (size > SMALL_GZIP_BYTES) return streamingGzip(needles, backlog, onMatch, onTruncated);
  const input = Buffer.allocUnsafe(size);
  let fill = 0;
  return {
    write(chunk) {
      fill += chunk.copy(input, fill);
    },
    end() {
      const compressed = input.subarray(0, fill);
      let output: Buffer;
      try {
        // few large output pieces: the default 16 KiB ones cost more in allocating and joining than in inflating
        output = gunzipSync(compressed, { maxOutputLength: outputCap(fill), chunkSize: Math.min(256 * 1024, Math.max(16 * 1024, fill * 4)) });
      } catch {
        // over the cap, or corrupt: the streaming path scans what inflates, up to the limits
        const stream = streamingGzip(needles, backlog, onMatch, onTruncated);
        stream.write(compressed);
        stream.end();
        return;
      }
      needles.matcher.scan(output, onMatch);
    },
  };
}

function streamingGzip(needles: NeedleTable, backlog: Backlog, onMatch: (tag: number) => void, onTruncated: () => void): NestedGzip {
  const gunzip = createGunzip({ chunkSize: 128 * 1024 });
  const searcher = needles.streamSearch();
  let input = 0;
  let output = 0;
  let stopped = false;
  const consumer = (async () => {
    try {
      for await (const chunk of gunzip as AsyncIterable<Buffer>) {
        output += chunk.length;
        const { maxOutput, maxRatio, ratioFloor } = NESTED_GZIP_LIMITS;
        if (output > maxOutput || (output > ratioFloor && output > input * maxRatio)) {
          onTruncated();
          break;
        }
        searcher.push(chunk, onMatch);
      }
      searcher.end(onMatch);
    } catch {
      // not gzip after all, or cut short: nothing more to scan
    }
    stopped = true;
    gunzip.destroy();
  })();
  return {
    write(chunk) {
      if (stopped) return;
      input += chunk.length;
      if (!gunzip.write(Buffer.from(chunk))) backlog.add(Promise.race([once(gunzip, "drain").catch(() => undefined), consumer]));
    },
    end() {
      if (!stopped) gunzip.end();
      backlog.add(consumer);
    },
  };
}
