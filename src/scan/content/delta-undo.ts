/**
 * xz's delta filter undone as output streams: each byte was stored as its difference to the
 * byte `distance` (1…256) before it, the history starting as zeros; the last 256 bytes carry over.
 */
export class DeltaUndo {
  readonly #history = new Uint8Array(256);
  #pos = 0;

  constructor(private readonly distance: number) {}

  /** The decoded bytes of `input` (the next bytes of the stream), in a new buffer. */
  undo(input: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(input.length);
    const history = this.#history;
    let pos = this.#pos;
    for (let i = 0; i < input.length; i++) {
      const byte = (input[i]! + history[(pos - this.distance) & 0xff]!) & 0xff;
      out[i] = byte;
      history[pos] = byte;
      pos = (pos + 1) & 0xff;
    }
    this.#pos = pos;
    return out;
  }
}
