import { gunzipSync } from "node:zlib";
import type { ContentSink } from "./content-report.js";
import { corrupt, emit, gathered, isOutputLimit, type Decoder } from "./decoder.js";

/**
 * A gzip file inside an archive (one directly in a layer entry stays on the tuned path of
 * nested-gzip.ts): gathered (its compressed bytes, up to the gather limit), then its members, one
 * after another, inflated through the layer's reused handle and searched as they come, so its
 * content has no size limit of its own (aws-cdk-lib's 144 MB `.jsii.tabl.json.gz` in a cached
 * npm tarball). Where that handle cannot be driven, node's zlib inflates it whole, up to 64 MiB.
 */
export const gzipDecoder: Decoder = (dc) =>
  gathered(dc, "gzip", (input) => {
    const cap = dc.budget.streamCap();
    let sink: ContentSink | null = null;
    let output = 0;
    const outcome = dc.gunzip.inflateChecked(input, cap.bytes, (piece) => {
      output += piece.length;
      (sink ??= dc.open(dc.inner, "gzip")).write(piece);
    });
    (sink as ContentSink | null)?.end();
    if (outcome !== null) {
      dc.budget.spend(output);
      if (outcome === "cut") dc.report.notSearched(dc.inner, cap.reason);
      else if (outcome === "corrupt") dc.report.unreadable(dc.inner, "gzip: corrupt deflate data, read in part at most");
      return;
    }
    const held = dc.budget.heldCap();
    let whole: Buffer;
    try {
      whole = gunzipSync(input, { maxOutputLength: Math.max(1, held.bytes) });
    } catch (error) {
      if (isOutputLimit(error)) dc.report.notSearched(dc.inner, held.reason);
      else dc.report.unreadable(dc.inner, corrupt("gzip", error));
      return;
    }
    dc.budget.spend(whole.length);
    emit(dc, dc.inner, "gzip", whole);
  });
