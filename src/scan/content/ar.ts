import type { ContentSink } from "./content-report.js";
import { memberPath } from "./content-report.js";
import type { Decoder, DecoderContext } from "./decoder.js";
import { SteppedReader } from "./stepped-reader.js";

const MAGIC = 8;
const HEADER = 60;
/** the GNU long-name table is read whole; real ones are a few KiB */
const MAX_NAMES = 1024 * 1024;

type State = "magic" | "header" | "names" | "bsdName" | "body" | "pad";

/** The reading of one ar archive: a state machine over its bytes as they come. */
class ArReader extends SteppedReader {
  #state: State = "magic";
  readonly #header = Buffer.alloc(HEADER);
  #fill = 0;
  #remain = MAGIC;
  #padding = 0;
  #names: Buffer | null = null;
  #nameTable: Buffer = Buffer.alloc(0);
  #bsdName: Buffer | null = null;
  #member: ContentSink | null = null;

  constructor(dc: DecoderContext) {
    super(dc, "ar");
  }

  end(): void {
    if (this.failed) return;
    const state = this.#state;
    if (state === "body" || state === "names" || state === "bsdName" || (state === "header" && this.#fill > 0) || state === "magic") this.fail("cut short");
  }

  protected override onFail(): void {
    this.#member?.end();
    this.#member = null;
  }

  #nameOf(raw: string): string {
    const gnu = /^\/(\d+)$/.exec(raw);
    if (gnu) {
      const at = Number(gnu[1]);
      const end = this.#nameTable.indexOf("/\n", at);
      return this.#nameTable.toString("utf8", at, end === -1 ? this.#nameTable.length : end);
    }
    return raw.endsWith("/") && raw !== "/" && raw !== "//" ? raw.slice(0, -1) : raw;
  }

  #startBody(size: number, name: string): void {
    this.#padding = size % 2;
    this.#remain = size;
    this.#member = this.dc.open(memberPath(this.dc.inner, name), "ar");
    this.#state = "body";
    if (size === 0) this.#endBody();
  }

  #endBody(): void {
    this.#member?.end();
    this.#member = null;
    this.#state = this.#padding > 0 ? "pad" : "header";
  }

  #onHeader(): void {
    const header = this.#header;
    if (header[58] !== 0x60 || header[59] !== 0x0a) return this.fail("invalid member header");
    const raw = header.toString("utf8", 0, 16).trimEnd();
    const size = Number(header.toString("latin1", 48, 58).trim());
    if (!Number.isSafeInteger(size) || size < 0) return this.fail("invalid member size");
    if (raw === "//") {
      if (size > MAX_NAMES) return this.fail("name table too large");
      this.#names = Buffer.alloc(size);
      this.#fill = 0;
      this.#remain = size;
      this.#padding = size % 2;
      this.#state = "names";
      if (size === 0) this.#state = this.#padding > 0 ? "pad" : "header";
      return;
    }
    const bsd = /^#1\/(\d+)$/.exec(raw);
    if (bsd) {
      const length = Number(bsd[1]);
      if (length > size || length > 4096) return this.fail("invalid BSD name");
      this.#bsdName = Buffer.alloc(length);
      this.#fill = 0;
      this.#remain = size;
      this.#padding = size % 2;
      this.#state = "bsdName";
      if (length === 0) this.#startBody(size, "");
      return;
    }
    this.#startBody(size, this.#nameOf(raw));
  }

  protected step(chunk: Buffer, at: number): number {
    switch (this.#state) {
      case "magic": {
        const take = Math.min(this.#remain, chunk.length - at);
        this.#remain -= take;
        if (this.#remain === 0) {
          this.#state = "header";
          this.#fill = 0;
        }
        return at + take;
      }
      case "header": {
        const take = Math.min(HEADER - this.#fill, chunk.length - at);
        chunk.copy(this.#header, this.#fill, at, at + take);
        this.#fill += take;
        if (this.#fill === HEADER) {
          this.#fill = 0;
          this.#onHeader();
        }
        return at + take;
      }
      case "names":
        return this.#stepNames(chunk, at);
      case "bsdName":
        return this.#stepBsdName(chunk, at);
      case "body": {
        const take = this.pass(chunk, at, this.#remain, this.#member);
        this.#remain -= take;
        if (this.#remain === 0) this.#endBody();
        return at + take;
      }
      case "pad":
        this.#padding = 0;
        this.#fill = 0;
        this.#state = "header";
        return at + 1;
    }
  }

  #stepNames(chunk: Buffer, at: number): number {
    const take = Math.min(this.#remain, chunk.length - at);
    chunk.copy(this.#names!, this.#fill, at, at + take);
    this.#fill += take;
    this.#remain -= take;
    if (this.#remain === 0) {
      this.#nameTable = this.#names!;
      this.#names = null;
      this.#fill = 0;
      this.#state = this.#padding > 0 ? "pad" : "header";
    }
    return at + take;
  }

  #stepBsdName(chunk: Buffer, at: number): number {
    const name = this.#bsdName!;
    const take = Math.min(name.length - this.#fill, chunk.length - at);
    chunk.copy(name, this.#fill, at, at + take);
    this.#fill += take;
    if (this.#fill === name.length) {
      this.#fill = 0;
      this.#bsdName = null;
      const size = this.#remain - name.length;
      const pad = this.#padding;
      this.#startBody(size, name.toString("utf8").replace(/\0+$/, ""));
      this.#padding = pad;
    }
    return at + take;
  }
}

/**
 * An ar archive (`.deb`, `.a`), streamed: each member is searched and opened in turn (a
 * `.deb`'s `data.tar.xz` holds the files). GNU (`//` name table, `/N`) and BSD (`#1/N`) long
 * names; the symbol tables (`/`, `/SYM64/`) are searched as they are.
 */
export const arDecoder: Decoder = (dc) => new ArReader(dc);
