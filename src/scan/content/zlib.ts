import { inflateSync } from "node:zlib";
import { emit, gathered, isOutputLimit, type Decoder, type DecoderContext } from "./decoder.js";
import type { ContentFormat } from "./format.js";
import type { OutputCap } from "./limits.js";

/**
 * Output below which a zlib stream that then fails is taken for a binary that only looked like
 * zlib (its first two bytes are all the evidence), and reported nowhere: what inflated of it
 * was searched all the same.
 */
const LOOKALIKE_BYTES = 1024;

/**
 * A zlib stream (a loose git object `.git/objects/ab/cdef…`, a raw zlib file), inflated from
 * memory up to the output cap through the scan's reused raw inflater, past the 2-byte header.
 */
export const zlibDecoder: Decoder = (dc) => {
  const whole = gathered(dc, "zlib", (input) => readZlib(dc, input));
  let checked = false;
  let lookalike = false;
  return {
    write(chunk) {
      // a look-alike is dropped at its first chunk: never gathered (nor, over the gather limit, reported)
      if (!checked) {
        checked = true;
        lookalike = failsAtOnce(dc, chunk);
      }
      if (!lookalike) whole.write(chunk);
    },
    end() {
      if (!lookalike) whole.end();
    },
  };
};

/** Whether the first bytes fail to inflate before LOOKALIKE_BYTES of output. */
function failsAtOnce(dc: DecoderContext, first: Buffer): boolean {
  let output = 0;
  const outcome = dc.deflate.inflateChecked(first.subarray(2), LOOKALIKE_BYTES, (piece) => {
    output += piece.length;
  });
  return outcome === "corrupt" && output < LOOKALIKE_BYTES;
}

function readZlib(dc: DecoderContext, input: Buffer): void {
  const { outcome, output, cap } = inflateZlib(dc, input, "zlib");
  if (outcome === "cut") dc.report.notSearched(dc.inner, cap.reason);
  else if (outcome === "corrupt" && output >= LOOKALIKE_BYTES) dc.report.unreadable(dc.inner, "zlib: corrupt deflate data, read in part at most");
}

/**
 * A zlib stream (2-byte header, then raw deflate) inflated up to the output cap through the
 * scan's reused inflater, what came out searched at `dc.inner` as `container`'s content; the
 * outcome, how much came out, and the cap that applied (a zlib file, a PNG's text chunk).
 */
export function inflateZlib(dc: DecoderContext, input: Buffer, container: ContentFormat): { outcome: "whole" | "cut" | "corrupt"; output: number; cap: OutputCap } {
  const cap = dc.budget.heldCap();
  const pieces: Buffer[] = [];
  let output = 0;
  const outcome = dc.deflate.inflateChecked(input.subarray(2), cap.bytes, (piece) => {
    pieces.push(Buffer.from(piece));
    output += piece.length;
  });
  if (outcome === null) return { ...inflateWhole(dc, input, cap, container), cap };
  if (output > 0) {
    dc.budget.spend(output);
    emit(dc, dc.inner, container, pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces));
  }
  return { outcome, output, cap };
}

/** A node whose zlib handle cannot be driven: its public call. */
function inflateWhole(dc: DecoderContext, input: Buffer, cap: OutputCap, container: ContentFormat): { outcome: "whole" | "cut" | "corrupt"; output: number } {
  let whole: Buffer;
  try {
    whole = inflateSync(input, { maxOutputLength: Math.max(1, cap.bytes) });
  } catch (error) {
    return { outcome: isOutputLimit(error) ? "cut" : "corrupt", output: 0 };
  }
  dc.budget.spend(whole.length);
  emit(dc, dc.inner, container, whole);
  return { outcome: "whole", output: whole.length };
}
