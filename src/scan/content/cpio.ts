import type { ContentSink } from "./content-report.js";
import { memberPath } from "./content-report.js";
import type { Decoder, DecoderContext } from "./decoder.js";
import { SteppedReader } from "./stepped-reader.js";

const NEWC = 110;
const ODC = 76;
/** names longer than this are not a path any tool writes */
const MAX_NAME = 64 * 1024;

type State = "header" | "name" | "body" | "skip" | "done";

/**
 * The reading of one cpio archive (what an rpm's payload unpacks to; initramfs images), as its
 * bytes come: newc and crc (`070701`, `070702`: hex fields, 4-byte alignment) and odc (`070707`:
 * octal, unaligned). Each member is searched and opened in turn; the trailer ends it.
 */
class CpioReader extends SteppedReader {
  #state: State = "header";
  #header = Buffer.alloc(NEWC);
  #headerSize = NEWC;
  #align = 4;
  #fill = 0;
  #name = Buffer.alloc(0);
  #nameSize = 0;
  #remain = 0;
  #bodyPad = 0;
  #member: ContentSink | null = null;

  constructor(dc: DecoderContext) {
    super(dc, "cpio");
  }

  end(): void {
    if (!this.failed && this.#state !== "done" && !(this.#state === "header" && this.#fill === 0)) this.fail("cut short");
    this.onFail();
  }

  protected override done(): boolean {
    return this.#state === "done";
  }

  protected override onFail(): void {
    this.#member?.end();
    this.#member = null;
  }

  #field(from: number, to: number, radix: number): number {
    const text = this.#header.toString("latin1", from, to);
    return (radix === 16 ? /^[0-9a-fA-F]+$/ : /^[0-7]+$/).test(text) ? parseInt(text, radix) : NaN;
  }

  #onHeader(): void {
    const magic = this.#header.toString("latin1", 0, 6);
    let nameSize: number;
    if (magic === "070701" || magic === "070702") {
      nameSize = this.#field(94, 102, 16);
      this.#remain = this.#field(54, 62, 16);
      this.#align = 4;
    } else if (magic === "070707") {
      nameSize = this.#field(59, 65, 8);
      this.#remain = this.#field(65, 76, 8);
      this.#align = 1;
    } else {
      return this.fail("invalid member header");
    }
    if (!(nameSize >= 1 && nameSize <= MAX_NAME) || !Number.isSafeInteger(this.#remain)) return this.fail("invalid member header");
    this.#nameSize = nameSize;
    this.#name = Buffer.alloc(nameSize + this.#pad(this.#headerSize + nameSize));
    this.#fill = 0;
    this.#state = "name";
  }

  #pad(length: number): number {
    return (this.#align - (length % this.#align)) % this.#align;
  }

  #onName(): void {
    const name = this.#name.toString("utf8", 0, this.#nameSize).replace(/\0+$/, "");
    if (name === "TRAILER!!!") {
      this.#state = "done";
      return;
    }
    this.#bodyPad = this.#pad(this.#remain);
    this.#member = this.dc.open(memberPath(this.dc.inner, name), "cpio");
    this.#state = "body";
    if (this.#remain === 0) this.#endBody();
  }

  #endBody(): void {
    this.#member?.end();
    this.#member = null;
    this.#remain = this.#bodyPad;
    this.#state = this.#remain > 0 ? "skip" : "header";
  }

  protected step(chunk: Buffer, at: number): number {
    switch (this.#state) {
      case "header": {
        // the magic tells the header's size: odc's is shorter
        if (this.#fill < 6) {
          const take = Math.min(6 - this.#fill, chunk.length - at);
          chunk.copy(this.#header, this.#fill, at, at + take);
          this.#fill += take;
          if (this.#fill === 6) this.#headerSize = this.#header.toString("latin1", 0, 6) === "070707" ? ODC : NEWC;
          return at + take;
        }
        const take = Math.min(this.#headerSize - this.#fill, chunk.length - at);
        chunk.copy(this.#header, this.#fill, at, at + take);
        this.#fill += take;
        if (this.#fill === this.#headerSize) this.#onHeader();
        return at + take;
      }
      case "name": {
        const take = Math.min(this.#name.length - this.#fill, chunk.length - at);
        chunk.copy(this.#name, this.#fill, at, at + take);
        this.#fill += take;
        if (this.#fill === this.#name.length) {
          this.#fill = 0;
          this.#onName();
        }
        return at + take;
      }
      case "body": {
        const take = this.pass(chunk, at, this.#remain, this.#member);
        this.#remain -= take;
        if (this.#remain === 0) this.#endBody();
        return at + take;
      }
      case "skip": {
        const take = Math.min(this.#remain, chunk.length - at);
        this.#remain -= take;
        if (this.#remain === 0) this.#state = "header";
        return at + take;
      }
      case "done":
        return chunk.length;
    }
  }
}

/** A cpio archive, streamed: each member searched and opened, named `!/MEMBER`. */
export const cpioDecoder: Decoder = (dc) => new CpioReader(dc);
