import { lzma } from "@napi-rs/lzma";
import { corrupt, emit, gathered, type Decoder, type DecoderContext } from "./decoder.js";
import type { OutputCap } from "./limits.js";

const DEFAULT_PROPERTIES = 0x5d;

/** lzma-rs's error when the data and the size in the header disagree: how much it decoded. */
const DECODED = /decompressed to (\d+)/;

/**
 * A legacy .lzma file, decoded from memory by @napi-rs/lzma (lzma-rs). That call has no output
 * limit, but it stops shortly past the size the header declares: a known size is checked
 * against the cap first; an unknown one (all ones, with an end marker) is written as the cap
 * plus one into a copy of the header, so the decoder stops there; a stream that ends before it
 * is decoded again with the size it turned out to have.
 */
export const lzmaAloneDecoder: Decoder = (dc) => gathered(dc, "lzma", (input) => readLzma(dc, input));

/**
 * LZMA's best ratio: xz --format=lzma packs 200 MB of zeros into 28,301 bytes (7,067:1). A header
 * that declares more than this for the bytes there is no LZMA stream, or one cut short.
 */
const MAX_RATIO = 8192;

function readLzma(dc: DecoderContext, input: Buffer): void {
  const declared = input.length >= 13 && input.readUInt32LE(5) !== 0xffffffff ? Number(input.readBigUInt64LE(5)) : null;
  if (declared !== null && declared > input.length * MAX_RATIO) {
    // a MATLAB v4 file (scipy's test data) starts 00, 00 00 00 01, 00 00 00 02 …: only the look of a header
    if (input[0] === DEFAULT_PROPERTIES) dc.report.unreadable(dc.inner, `lzma: the header declares ${declared} bytes, more than ${input.length} bytes can hold (cut short)`);
    return;
  }
  const cap = dc.budget.heldCap();
  let output: Buffer | null;
  try {
    output = decodeBounded(input, cap);
  } catch (error) {
    // Every common encoder (xz, the LZMA SDK, busybox, 7-Zip) writes properties 0x5d (lc=3, lp=0,
    // pb=2): a header with other properties that does not decode is a binary that only looked
    // like one (Kotlin's .kotlin_metadata files all start 00 00 00 03 00 00 00 01 …), not a fault.
    if (input[0] === DEFAULT_PROPERTIES) dc.report.unreadable(dc.inner, corrupt("lzma", error));
    return;
  }
  if (output === null) {
    dc.report.notSearched(dc.inner, cap.reason);
    return;
  }
  dc.budget.spend(output.length);
  emit(dc, dc.inner, "lzma", output);
}

/** The decoded content of an LZMA-alone stream (13-byte header, then data), or null when it is over the cap. Throws on corrupt data. */
export function decodeBounded(input: Buffer, cap: OutputCap): Buffer | null {
  const unknown = input.readUInt32LE(5) === 0xffffffff && input.readUInt32LE(9) === 0xffffffff;
  if (!unknown) {
    if (Number(input.readBigUInt64LE(5)) > cap.bytes) return null;
    return lzma.decompressSync(input);
  }
  const sized = Buffer.from(input);
  sized.writeBigUInt64LE(BigInt(cap.bytes + 1), 5);
  try {
    lzma.decompressSync(sized);
    return null;
  } catch (error) {
    const decoded = error instanceof Error ? DECODED.exec(error.message) : null;
    if (decoded === null) throw error;
    const size = Number(decoded[1]);
    if (size > cap.bytes) return null;
    sized.writeBigUInt64LE(BigInt(size), 5);
    return lzma.decompressSync(sized);
  }
}
