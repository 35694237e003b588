import { corrupt, emit, gathered, type Decoder, type DecoderContext } from "./decoder.js";
import { decodeBlock, planBlock, type XzBlockPlan } from "./xz-block.js";
import { xzStreams } from "./xz-index.js";
import { XzStream } from "./xz-stream.js";

/**
 * An xz file. Up to 64 MiB in and out, read from memory: its container (streams, padding,
 * indexes, block headers) here, each block's LZMA2 data by @napi-rs/lzma (lzma-rs, native: about
 * twice the speed of the streaming reader), whose xz reader takes neither SHA-256 checks nor
 * concatenated streams. That call has no output limit, so the size comes first, from the chunk
 * headers of every block. A larger file, in or out, is read as it streams (`XzStream`).
 * Delta filters are undone; BCJ filters are not read.
 */
export const xzDecoder: Decoder = (dc) =>
  gathered(
    dc,
    "xz",
    (input) => readXz(dc, input),
    () => new XzStream(dc),
  );

function readXz(dc: DecoderContext, input: Buffer): void {
  const streams = xzStreams(input);
  if (streams === null) {
    dc.report.unreadable(dc.inner, "xz: index unreadable (cut short or corrupt)");
    return;
  }
  const plans: XzBlockPlan[] = [];
  let total = 0;
  for (const stream of streams) {
    for (const block of stream.blocks) {
      const plan = planBlock(input, block, stream.checkSize);
      if ("unsupported" in plan) {
        dc.report.notSearched(dc.inner, `xz: ${plan.unsupported} filter (only LZMA2 and delta are read)`);
        return;
      }
      if ("malformed" in plan || plan.chunked !== block.uncompressed) {
        dc.report.unreadable(dc.inner, `xz: ${"malformed" in plan ? plan.malformed : "block sizes disagree with the index"}`);
        return;
      }
      plans.push(plan);
      total += plan.chunked;
    }
  }
  if (total > dc.budget.heldCap().bytes) {
    // over what is decoded in memory: the output streams through the search instead
    const stream = new XzStream(dc);
    stream.write(input);
    stream.end();
    return;
  }
  const outputs: Buffer[] = [];
  try {
    for (const plan of plans) outputs.push(decodeBlock(plan));
  } catch (error) {
    // what decoded before the fault is searched, as for the other formats
    if (outputs.length > 0) emitAll(dc, outputs);
    dc.report.unreadable(dc.inner, corrupt("xz", error));
    return;
  }
  emitAll(dc, outputs);
}

function emitAll(dc: DecoderContext, outputs: Buffer[]): void {
  const output = outputs.length === 1 ? outputs[0]! : Buffer.concat(outputs);
  dc.budget.spend(output.length);
  emit(dc, dc.inner, "xz", output);
}
