import { roomFor, type Decoder } from "./decoder.js";
import { CONTENT_LIMITS, formatBytes } from "./limits.js";
import { findEocd, readZipAfterPrefix } from "./zip.js";

/** The end of central directory record and the longest comment after it: where a zip's end is told. */
const TAIL_BYTES = 22 + 0xffff;

/** The last TAIL_BYTES of what came so far, copied: the chunks are the caller's to reuse. */
function tailOf(before: Buffer, chunk: Buffer): Buffer {
  if (chunk.length >= TAIL_BYTES) return Buffer.from(chunk.subarray(chunk.length - TAIL_BYTES));
  const joined = Buffer.concat([before, chunk]);
  return joined.length > TAIL_BYTES ? Buffer.from(joined.subarray(joined.length - TAIL_BYTES)) : joined;
}

/**
 * A file that starts `#!` and may carry a zip after its script: Spring Boot's fully executable
 * jars, Python zipapps and pex files. The script's bytes are searched where it lies; this
 * gathers the file and opens the zip when there is one. Quiet otherwise (most scripts are only
 * scripts); one too large to gather is reported as not searched only when it ends like a zip.
 */
export const scriptZipDecoder: Decoder = (dc) => {
  const { maxGatherBytes } = CONTENT_LIMITS;
  let held: Buffer | null = null;
  let size = 0;
  let tail: Buffer | null = null;
  const drop = (): void => {
    dc.budget.release(size);
    if (held !== null) dc.gathers.give(held);
    held = null;
  };
  return {
    write(chunk) {
      if (tail !== null) {
        tail = tailOf(tail, chunk);
        return;
      }
      if (size + chunk.length > maxGatherBytes || !dc.budget.hold(chunk.length)) {
        tail = tailOf(held === null ? Buffer.alloc(0) : held.subarray(Math.max(0, size - TAIL_BYTES), size), chunk);
        drop();
        return;
      }
      held = roomFor(dc, held, size, chunk.length);
      size += chunk.copy(held, size);
    },
    end() {
      if (tail !== null) {
        if (findEocd(tail) !== -1) dc.report.notSearched(dc.inner, `zip after a script, over ${formatBytes(maxGatherBytes)} (limit for decoding in memory)`);
        tail = null;
        return;
      }
      try {
        if (held !== null) readZipAfterPrefix(dc, held.subarray(0, size));
      } finally {
        drop();
      }
    },
  };
};
