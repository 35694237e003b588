import type { IncomingMessage } from "node:http";

/**
 * An HTTP body, whole, if it fits in `cap` bytes; undefined (and the response dropped) if not,
 * judged by its Content-Length before any byte when it declares one.
 */
export async function readBodyCapped(body: IncomingMessage, cap: number): Promise<Buffer | undefined> {
  const declared = Number(body.headers["content-length"]);
  if (Number.isFinite(declared) && declared > cap) {
    body.destroy();
    return undefined;
  }
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > cap) {
      body.destroy();
      return undefined;
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}
