import type { ContentSink } from "./content-report.js";
import { emit, roomFor, type Decoder, type DecoderContext } from "./decoder.js";
import { CONTENT_LIMITS, formatBytes } from "./limits.js";
import { appendedArchiveAt } from "./script-payload.js";
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
 * A file that starts `#!` and may carry an archive after its script: a zip (Spring Boot's fully
 * executable jars, Python zipapps and pex files) or a compressed tar (makeself installers and
 * other self-extracting scripts). The script's bytes are searched where it lies; this gathers the
 * file and opens the zip, else the appended archive, when there is one. Quiet otherwise (most
 * scripts are only scripts). One too large to gather streams its appended archive from where it
 * starts, and is reported as not searched only when it ends like a zip.
 */
export const scriptZipDecoder: Decoder = (dc) => {
  const { maxGatherBytes } = CONTENT_LIMITS;
  let held: Buffer | null = null;
  let size = 0;
  let tail: Buffer | null = null;
  // a payload found when the file outgrew the gather limit: the rest streams into it
  let payload: ContentSink | null = null;
  const drop = (): void => {
    dc.budget.release(size);
    if (held !== null) dc.gathers.give(held);
    held = null;
  };
  return {
    write(chunk) {
      if (payload !== null) return payload.write(chunk);
      if (tail !== null) {
        tail = tailOf(tail, chunk);
        return;
      }
      if (size + chunk.length > maxGatherBytes || !dc.budget.hold(chunk.length)) {
        const at = held === null ? -1 : appendedArchiveAt(held.subarray(0, size));
        if (at !== -1) {
          // a large installer (CUDA's, a conda one): its compressed payload streams, never gathered
          payload = dc.open(dc.inner, "script");
          payload.write(held!.subarray(at, size));
          drop();
          return payload.write(chunk);
        }
        tail = tailOf(held === null ? Buffer.alloc(0) : held.subarray(Math.max(0, size - TAIL_BYTES), size), chunk);
        drop();
        return;
      }
      held = roomFor(dc, held, size, chunk.length);
      size += chunk.copy(held, size);
    },
    end() {
      if (payload !== null) return payload.end();
      if (tail !== null) {
        if (findEocd(tail) !== -1) dc.report.notSearched(dc.inner, `zip after a script, over ${formatBytes(maxGatherBytes)} (limit for decoding in memory)`);
        tail = null;
        return;
      }
      try {
        if (held !== null && !readZipAfterPrefix(dc, held.subarray(0, size))) openPayload(dc, held.subarray(0, size));
      } finally {
        drop();
      }
    },
  };
};

/** A self-extracting script's payload (script-payload.ts), opened as the file it would extract. */
function openPayload(dc: DecoderContext, file: Buffer): void {
  const at = appendedArchiveAt(file);
  if (at !== -1) emit(dc, dc.inner, "script", file.subarray(at));
}
