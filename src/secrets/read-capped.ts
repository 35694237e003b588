import { open } from "node:fs/promises";

/**
 * Reads at most `cap + 1` bytes, so an oversized (or endless: a FIFO, /dev/zero) source is
 * detected without reading it all. The caller checks `length > cap`.
 */
export async function readCapped(file: string, cap: number): Promise<Buffer> {
  const handle = await open(file, "r");
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    while (total <= cap) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, cap + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
    }
    const out = Buffer.concat(chunks, total);
    for (const chunk of chunks) chunk.fill(0);
    return out;
  } finally {
    await handle.close();
  }
}
