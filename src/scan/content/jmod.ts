import { gathered, type Decoder } from "./decoder.js";
import { readZipAfterPrefix } from "./zip.js";

/**
 * A JDK module file (`jmod create`, the JDK's own `jmods/*.jmod`): a 4-byte header, `JM` and
 * version 1.0, then a zip whose offsets count from its own start. Its `classes/` and `conf/`
 * members are opened as a zip's are; up to the gather limit, as any zip read from memory.
 */
export const jmodDecoder: Decoder = (dc) =>
  gathered(dc, "jmod", (input) => {
    if (!readZipAfterPrefix(dc, input)) dc.report.unreadable(dc.inner, "jmod: no readable zip after its header");
  });
