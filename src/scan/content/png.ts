import type { Decoder, DecoderContext } from "./decoder.js";
import { inflateZlib } from "./zlib.js";

const SIGNATURE_BYTES = 8;
/** A compressed text chunk larger than this is not a comment someone wrote: not read. */
const TEXT_CHUNK_CAP = 1024 * 1024;

/**
 * A PNG's compressed text (`zTXt`, and `iTXt` with its compression flag set): comments, tool
 * settings, anything a build wrote there with `convert -set comment` or Pillow's `PngInfo`.
 * The chunks are walked as they stream; image data (`IDAT`) is skipped, never inflated, and
 * plain `tEXt` is searched already as the file's own bytes.
 */
export const pngDecoder: Decoder = (dc) => {
  let skip = SIGNATURE_BYTES;
  const header = Buffer.alloc(8);
  let headerFill = 0;
  let text: { type: string; data: Buffer; fill: number } | null = null;
  let done = false;
  return {
    write(chunk) {
      let at = 0;
      while (at < chunk.length && !done) {
        if (skip > 0) {
          const n = Math.min(skip, chunk.length - at);
          skip -= n;
          at += n;
        } else if (text !== null) {
          const n = chunk.copy(text.data, text.fill, at, Math.min(chunk.length, at + text.data.length - text.fill));
          text.fill += n;
          at += n;
          if (text.fill === text.data.length) {
            readText(dc, text.type, text.data);
            text = null;
            skip = 4; // the chunk's CRC
          }
        } else {
          const n = chunk.copy(header, headerFill, at, Math.min(chunk.length, at + 8 - headerFill));
          headerFill += n;
          at += n;
          if (headerFill < 8) continue;
          headerFill = 0;
          const length = header.readUInt32BE(0);
          const type = header.toString("latin1", 4, 8);
          if (type === "IEND") done = true;
          else if ((type === "zTXt" || type === "iTXt") && length <= TEXT_CHUNK_CAP) {
            text = { type, data: Buffer.alloc(length), fill: 0 };
            if (length === 0) {
              text = null;
              skip = 4;
            }
          } else skip = length + 4;
        }
      }
    },
    end() {},
  };
};

/** `zTXt`: keyword, 0, method, zlib data. `iTXt`: keyword, 0, flag, method, language, 0, translated keyword, 0, text. */
function readText(dc: DecoderContext, type: string, data: Buffer): void {
  const keywordEnd = data.indexOf(0);
  if (keywordEnd < 1 || keywordEnd > 79) return;
  let at = keywordEnd + 1;
  if (type === "iTXt") {
    const compressed = data[at] === 1;
    at += 2;
    for (let field = 0; field < 2; field++) {
      const end = data.indexOf(0, at);
      if (end === -1) return;
      at = end + 1;
    }
    if (!compressed) return;
  } else {
    at += 1;
  }
  inflateText(dc, data.subarray(at));
}

/** The text's zlib stream, searched as the PNG's content: what a limit cut is not searched, a corrupt one a warning. */
function inflateText(dc: DecoderContext, zlib: Buffer): void {
  if (zlib.length < 3) return;
  const { outcome, cap } = inflateZlib(dc, zlib, "png");
  if (outcome === "cut") dc.report.notSearched(dc.inner, cap.reason);
  else if (outcome === "corrupt") dc.report.unreadable(dc.inner, "png: a compressed text chunk is corrupt, read in part at most");
}
