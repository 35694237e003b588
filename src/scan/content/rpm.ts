import type { ContentSink } from "./content-report.js";
import type { Decoder, DecoderContext } from "./decoder.js";
import { SteppedReader } from "./stepped-reader.js";

const LEAD = 96;
const HEADER_INTRO = 16;
const HEADER_MAGIC = 0x8eade801;
/** rpm's own limit on a header's index and data (rpmlib: 32 MiB) */
const MAX_HEADER = 32 * 1024 * 1024;

/**
 * An rpm package, streamed: its lead and two headers (signature, then package) are stepped
 * over, and the payload after them (a cpio archive, mostly compressed) is searched and opened
 * at the same path, as a compressed file's content is. The headers' own bytes (names,
 * scriptlets) are the file's bytes, searched where they lie.
 */
class RpmReader extends SteppedReader {
  #skip = LEAD;
  readonly #intro = Buffer.alloc(HEADER_INTRO);
  #fill = 0;
  /** headers still to step over: the signature's (padded to 8 bytes), then the package's */
  #headers = 2;
  #offset = 0;
  #payload: ContentSink | null = null;

  constructor(dc: DecoderContext) {
    super(dc, "rpm");
  }

  end(): void {
    if (this.#payload !== null) this.#payload.end();
    else if (!this.failed) this.fail("cut short before its payload");
  }

  protected step(chunk: Buffer, at: number): number {
    if (this.#payload !== null) {
      this.#payload.write(at === 0 ? chunk : chunk.subarray(at));
      return chunk.length;
    }
    if (this.#skip > 0) {
      const take = Math.min(this.#skip, chunk.length - at);
      this.#skip -= take;
      this.#offset += take;
      if (this.#skip === 0 && this.#headers === 0) this.#payload = this.dc.open(this.dc.inner, "rpm");
      return at + take;
    }
    const take = Math.min(HEADER_INTRO - this.#fill, chunk.length - at);
    chunk.copy(this.#intro, this.#fill, at, at + take);
    this.#fill += take;
    this.#offset += take;
    if (this.#fill === HEADER_INTRO) this.#onIntro();
    return at + take;
  }

  #onIntro(): void {
    this.#fill = 0;
    const entries = this.#intro.readUInt32BE(8);
    const data = this.#intro.readUInt32BE(12);
    if (this.#intro.readUInt32BE(0) !== HEADER_MAGIC || entries * 16 + data > MAX_HEADER) return this.fail("invalid header");
    let skip = entries * 16 + data;
    // the signature header is padded to a multiple of 8 bytes
    if (this.#headers === 2) skip += (8 - ((this.#offset + skip) % 8)) % 8;
    this.#headers -= 1;
    this.#skip = skip;
    if (skip === 0 && this.#headers === 0) this.#payload = this.dc.open(this.dc.inner, "rpm");
  }
}

export const rpmDecoder: Decoder = (dc) => new RpmReader(dc);
