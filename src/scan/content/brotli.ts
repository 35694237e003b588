import { brotliDecompressSync } from "node:zlib";
import { corrupt, emit, gathered, isOutputLimit, type Decoder } from "./decoder.js";

/** A brotli file (`main.js.br`: told by its name, brotli has no magic), decoded from memory by node's zlib up to the output cap. */
export const brotliDecoder: Decoder = (dc) =>
  gathered(dc, "brotli", (input) => {
    const cap = dc.budget.heldCap();
    let output: Buffer;
    try {
      output = brotliDecompressSync(input, { maxOutputLength: Math.max(1, cap.bytes) });
    } catch (error) {
      if (isOutputLimit(error)) dc.report.notSearched(dc.inner, cap.reason);
      else dc.report.unreadable(dc.inner, corrupt("brotli", error));
      return;
    }
    dc.budget.spend(output.length);
    emit(dc, dc.inner, "brotli", output);
  });
