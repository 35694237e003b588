import { Bzip2Blocks } from "./bzip2-blocks.js";
import type { Decoder } from "./decoder.js";

/**
 * A bzip2 file (multi-stream, as bzip2 and pbzip2 write), decoded block by block as it streams
 * (`Bzip2Blocks`): one path for every size, so a large file is never decoded in memory first
 * and then again (seek-bzip decodes 3-4 MB/s: 64 MiB done twice cost 20 s).
 */
export const bzip2Decoder: Decoder = (dc) => new Bzip2Blocks(dc);
