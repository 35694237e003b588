import { gunzipSync } from "node:zlib";
import { corrupt, emit, gathered, isOutputLimit, type Decoder } from "./decoder.js";

/**
 * A gzip file inside an archive (one directly in a layer entry stays on the tuned path of
 * nested-gzip.ts): its members, one after another, inflate from memory up to the output cap.
 */
export const gzipDecoder: Decoder = (dc) =>
  gathered(dc, "gzip", (input) => {
    const cap = dc.budget.heldCap();
    let output: Buffer;
    try {
      output = gunzipSync(input, { maxOutputLength: Math.max(1, cap.bytes) });
    } catch (error) {
      if (isOutputLimit(error)) dc.report.notSearched(dc.inner, cap.reason);
      else dc.report.unreadable(dc.inner, corrupt("gzip", error));
      return;
    }
    dc.budget.spend(output.length);
    emit(dc, dc.inner, "gzip", output);
  });
