/** A stream whose first bytes were read ahead to sniff its format; `replay` yields them again. */
export interface Peeked {
  readonly head: Buffer;
  readonly rest: AsyncIterator<Buffer>;
  /** chunks already taken from `rest` and merged into `head` */
  readonly taken: readonly Buffer[];
}

/** Reads at least `bytes` bytes (or all there is) ahead from `source`. */
export async function peek(source: AsyncIterable<Buffer | Uint8Array>, bytes: number): Promise<Peeked> {
  const rest = asBuffers(source)[Symbol.asyncIterator]();
  const taken: Buffer[] = [];
  let have = 0;
  while (have < bytes) {
    const next = await rest.next();
    if (next.done) break;
    taken.push(next.value);
    have += next.value.length;
  }
  const head = taken.length === 1 ? (taken[0] as Buffer) : Buffer.concat(taken);
  return { head, rest, taken };
}

async function* asBuffers(source: AsyncIterable<Buffer | Uint8Array>): AsyncGenerator<Buffer> {
  for await (const chunk of source) yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
}

/**
 * The whole stream again. Stopping early (a consumer destroyed by an error) does not close the
 * underlying iterator, so the caller can still `drain` it and keep an outer archive readable.
 */
export async function* replay(peeked: Peeked): AsyncGenerator<Buffer> {
  for (const chunk of peeked.taken) yield chunk;
  for (;;) {
    const next = await peeked.rest.next();
    if (next.done) return;
    yield next.value;
  }
}

/** Reads and drops what is left. */
export async function drain(peeked: Peeked): Promise<void> {
  for (;;) {
    const next = await peeked.rest.next();
    if (next.done) return;
  }
}
