import type { Decoder } from "./decoder.js";
import type { UndecodedFormat } from "./format.js";

const NAMES: Readonly<Record<UndecodedFormat, string>> = {
  "7z": "7z archive",
  rar: "RAR archive",
  squashfs: "squashfs image",
  compress: "Unix compress (.Z) file",
};

/**
 * A format recognised by its magic that nothing here decodes: its bytes are searched as they
 * are (a stored member may still match), but what it holds may be compressed, so it is
 * reported as not searched, never counted clean.
 */
export const undecodedDecoder =
  (format: UndecodedFormat): Decoder =>
  (dc) => ({
    write() {},
    end() {
      dc.report.notSearched(dc.inner, `${NAMES[format]}: a format safebuild does not decode (its bytes were searched as they are, not what it holds)`);
    },
  });
