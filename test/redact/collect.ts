import { Writable } from "node:stream";

/** A target that keeps every byte written to it. */
export function collector(): { target: Writable; bytes: () => Buffer } {
  const parts: Buffer[] = [];
  const target = new Writable({
    write(chunk: Buffer, _encoding, done) {
      parts.push(Buffer.from(chunk));
      done();
    },
  });
  return { target, bytes: () => Buffer.concat(parts) };
}
