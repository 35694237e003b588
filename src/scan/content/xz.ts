import { xz } from "@napi-rs/lzma";
import { corrupt, emit, gathered, type Decoder } from "./decoder.js";

/**
 * An xz file, decoded from memory by @napi-rs/lzma (lzma-rs). That call has no output limit,
 * so the size comes first from the file's own index (every stream, every block's uncompressed
 * size), and the file is decoded only when that is within the cap; a decoder that verifies
 * the index rejects a file whose blocks say otherwise.
 */
export const xzDecoder: Decoder = (dc) =>
  gathered(dc, "xz", (input) => {
    const cap = dc.budget.outputCap(input.length);
    const declared = declaredSize(input);
    if (declared === null) {
      dc.report.unreadable(dc.inner, "xz: index unreadable (cut short or corrupt)");
      return;
    }
    if (declared > cap.bytes) {
      dc.report.notSearched(dc.inner, cap.reason);
      return;
    }
    let output: Buffer;
    try {
      output = xz.decompressSync(input);
    } catch (error) {
      dc.report.unreadable(dc.inner, corrupt("xz", error));
      return;
    }
    dc.budget.spend(output.length);
    emit(dc, dc.inner, "xz", output);
  });

/** The uncompressed size the indexes of every stream declare, read from the end; null when unreadable. */
export function declaredSize(file: Buffer): number | null {
  let end = file.length;
  let total = 0;
  while (end > 0) {
    // stream padding: NUL bytes in groups of four
    while (end >= 4 && file.readUInt32LE(end - 4) === 0) end -= 4;
    if (end < 24 || file[end - 2] !== 0x59 || file[end - 1] !== 0x5a) return null;
    const backward = (file.readUInt32LE(end - 8) + 1) * 4;
    let at = end - 12 - backward;
    if (at < 12 || file[at] !== 0) return null;
    const indexEnd = end - 12;
    at += 1;
    const read = (): number | null => {
      let value = 0;
      for (let shift = 0; shift < 63; shift += 7) {
        if (at >= indexEnd) return null;
        const byte = file[at++]!;
        value += (byte & 0x7f) * 2 ** shift;
        if ((byte & 0x80) === 0) return value;
      }
      return null;
    };
    const records = read();
    if (records === null) return null;
    let blocks = 0;
    for (let i = 0; i < records; i++) {
      const unpadded = read();
      const uncompressed = read();
      if (unpadded === null || uncompressed === null) return null;
      blocks += Math.ceil(unpadded / 4) * 4;
      total += uncompressed;
    }
    const start = end - 12 - backward - blocks - 12;
    if (start < 0 || file[start] !== 0xfd || file[start + 1] !== 0x37) return null;
    end = start;
  }
  return total;
}
