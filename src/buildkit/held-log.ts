import { Writable } from "node:stream";

/** What `-q` keeps of a build log: its end, where a failure explains itself. */
const KEEP_BYTES = 1 << 20;

/** A log sink that holds the builder's output back (the caller shows it, masked, on failure). */
export function heldLog(): { readonly stream: Writable; readonly text: () => Buffer } {
  let chunks: Buffer[] = [];
  let size = 0;
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      size += chunk.length;
      while (size > KEEP_BYTES && chunks.length > 1) size -= chunks.shift()?.length ?? 0;
      callback();
    },
  });
  return {
    stream,
    text: () => {
      const all = Buffer.concat(chunks);
      chunks = [];
      size = 0;
      return all;
    },
  };
}
