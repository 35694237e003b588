import { Decompress } from "fzstd";
import { corrupt, type Decoder } from "./decoder.js";
import type { ContentSink } from "./content-report.js";

class OverCap extends Error {}

/** A zstd file, streamed through fzstd (already the layer decompressor): its frames are searched as they decode. */
export const zstdDecoder: Decoder = (dc) => {
  let inner: ContentSink | null = null;
  let output = 0;
  let stopped = false;
  const decompress = new Decompress((data) => {
    output += data.length;
    const cap = dc.budget.streamCap();
    if (output > cap.bytes) throw new OverCap(cap.reason);
    dc.budget.spend(data.length);
    (inner ??= dc.open(dc.inner, "zstd")).write(Buffer.from(data.buffer, data.byteOffset, data.length));
  });
  const push = (chunk: Uint8Array, final: boolean): void => {
    if (stopped) return;
    try {
      decompress.push(chunk, final);
    } catch (error) {
      stopped = true;
      if (error instanceof OverCap) dc.report.notSearched(dc.inner, error.message);
      else dc.report.unreadable(dc.inner, corrupt("zstd", error));
    }
  };
  return {
    // fzstd may keep the chunk until more comes: it is borrowed, so copied
    write: (chunk) => push(Uint8Array.from(chunk), false),
    end() {
      push(new Uint8Array(0), true);
      inner?.end();
    },
  };
};
