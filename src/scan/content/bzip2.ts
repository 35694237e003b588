import Bunzip from "seek-bzip";
import { Bzip2Blocks } from "./bzip2-blocks.js";
import { corrupt, emit, gathered, type Decoder } from "./decoder.js";

class OverCap extends Error {}

/**
 * A bzip2 file (multi-stream, as bzip2 and pbzip2 write), decoded from memory by seek-bzip up
 * to 64 MiB; a larger one, in or out, block by block as it streams (`Bzip2Blocks`).
 */
export const bzip2Decoder: Decoder = (dc) =>
  gathered(
    dc,
    "bzip2",
    (input) => {
      const cap = dc.budget.heldCap();
      let buffer = Buffer.allocUnsafe(Math.min(cap.bytes, Math.max(64 * 1024, input.length * 4)));
      let pos = 0;
      // seek-bzip writes byte by byte into whatever has writeByte: the cap holds as it writes
      const output = {
        writeByte(byte: number): void {
          if (pos === buffer.length) {
            if (pos >= cap.bytes) throw new OverCap(cap.reason);
            const grown = Buffer.allocUnsafe(Math.min(cap.bytes, buffer.length * 2));
            buffer.copy(grown, 0, 0, pos);
            buffer = grown;
          }
          buffer[pos++] = byte;
        },
      };
      try {
        Bunzip.decode(input, output, true);
      } catch (error) {
        if (!(error instanceof OverCap)) return dc.report.unreadable(dc.inner, corrupt("bzip2", error));
        // over what is decoded in memory: block by block instead, the output streaming through the search
        const blocks = new Bzip2Blocks(dc);
        blocks.write(input);
        return blocks.end();
      }
      dc.budget.spend(pos);
      emit(dc, dc.inner, "bzip2", buffer.subarray(0, pos));
    },
    () => new Bzip2Blocks(dc),
  );
