import type { ContentSink } from "./content-report.js";
import type { Decoder } from "./decoder.js";

const NOT_BASE64 = /[^A-Za-z0-9+/=\s]/;
const BLANKS = /\s+/g;

/**
 * A file that is base64 text of a compressed stream or an archive (`gzip | base64`, `zip | base64`,
 * a payload kept in a text file): told by its first characters (format.ts), decoded as it
 * streams, line breaks and blanks skipped, and its bytes opened at the same path as any
 * compressed file's are. It ends at its padding or at the first character that is no base64.
 */
export const base64TextDecoder: Decoder = (dc) => {
  let sink: ContentSink | null = null;
  let pending = "";
  let ended = false;
  const flush = (text: string): void => {
    if (text.length === 0) return;
    (sink ??= dc.open(dc.inner, "base64")).write(Buffer.from(text, "base64"));
  };
  return {
    write(chunk) {
      if (ended) return;
      const text = chunk.toString("latin1");
      const stop = NOT_BASE64.exec(text);
      let clean = pending + (stop === null ? text : text.slice(0, stop.index)).replace(BLANKS, "");
      const padding = clean.indexOf("=");
      if (padding !== -1) clean = clean.slice(0, clean.length - clean.slice(padding).replace(/^=+/, "").length);
      ended = stop !== null || padding !== -1;
      const whole = ended ? clean.length : clean.length - (clean.length % 4);
      flush(clean.slice(0, whole));
      pending = clean.slice(whole);
    },
    end() {
      flush(pending);
      pending = "";
      sink?.end();
    },
  };
};
