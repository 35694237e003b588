import { ContentBudget } from "../../../src/scan/content/limits.js";
import type { ContentSink } from "../../../src/scan/content/content-report.js";
import type { DecoderContext } from "../../../src/scan/content/decoder.js";

/** Runs a streaming decoder over `file` in pieces of `piece()` bytes: what it decoded, and what it said. */
export function decodeInPieces(make: (dc: DecoderContext) => ContentSink, file: Buffer, piece: () => number, budget = new ContentBudget()): { output: Buffer; said: string[] } {
  const parts: Buffer[] = [];
  const said: string[] = [];
  const dc = {
    inner: "",
    size: null,
    budget,
    report: { hit() {}, notSearched: (_: string, reason: string) => said.push(`not searched: ${reason}`), unreadable: (_: string, reason: string) => said.push(`unreadable: ${reason}`) },
    // the chunk is borrowed: kept as a copy
    open: () => ({ write: (chunk: Buffer) => parts.push(Buffer.from(chunk)), end() {} }),
  } as unknown as DecoderContext;
  const sink = make(dc);
  for (let at = 0; at < file.length; ) {
    const n = piece();
    sink.write(file.subarray(at, at + n));
    at += n;
  }
  sink.end();
  return { output: Buffer.concat(parts), said };
}
