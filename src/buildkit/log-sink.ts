import { Writable } from "node:stream";

/**
 * A Writable that forwards to `target` but never ends it: the process runner ends the
 * streams it pipes a child into, and the masked stderr must outlive the builder.
 * `observe` sees each chunk first (unmasked: it must keep nothing of it but facts).
 */
export function forwardWithoutEnd(target: Writable, observe?: (chunk: Buffer) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      observe?.(chunk);
      if (target.write(chunk)) done();
      else target.once("drain", () => done());
    },
  });
}
