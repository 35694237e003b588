import type { ContentSink } from "./content-report.js";
import type { Decoder, DecoderContext } from "./decoder.js";
import { HEAD_BYTES, sniffFormat } from "./format.js";

/** Program and section header tables larger than these are no executable's: its end is not told. */
const MAX_TABLE_BYTES = 4 * 1024 * 1024;
const SHT_NOBITS = 8;

/** The parts of an ELF header that say where its tables are (ELF32 and ELF64, either byte order). */
interface ElfHeader {
  readonly wide: boolean;
  readonly little: boolean;
  readonly phoff: number;
  readonly phsize: number;
  readonly phnum: number;
  readonly shoff: number;
  readonly shsize: number;
  readonly shnum: number;
}

function headerOf(h: Buffer): ElfHeader | null {
  const wide = h[4] === 2;
  const little = h[5] === 1;
  if (h.length < (wide ? 64 : 52) || (h[4] !== 1 && !wide) || (h[5] !== 1 && h[5] !== 2)) return null;
  const u16 = (at: number): number => (little ? h.readUInt16LE(at) : h.readUInt16BE(at));
  const u32 = (at: number): number => (little ? h.readUInt32LE(at) : h.readUInt32BE(at));
  const u64 = (at: number): number => Number(little ? h.readBigUInt64LE(at) : h.readBigUInt64BE(at));
  return wide
    ? { wide, little, phoff: u64(32), shoff: u64(40), phsize: u16(54), phnum: u16(56), shsize: u16(58), shnum: u16(60) }
    : { wide, little, phoff: u32(28), shoff: u32(32), phsize: u16(42), phnum: u16(44), shsize: u16(46), shnum: u16(48) };
}

/**
 * An ELF executable with data after its last byte: a self-extracting zip (`cat unzipsfx app.zip`,
 * `zip -A`), an archive appended to a launcher. Where the ELF ends is told by its tables (the
 * end of the section header table, of every section with bytes, of every segment); what follows
 * is opened when its first bytes name a format (a zip is read by its local headers whatever its
 * offsets count from), and left alone otherwise (a kernel module's signature). The executable's
 * own bytes are searched where it lies, as any file's.
 */
export const elfDecoder: Decoder = (dc) => new ElfOverlay(dc);

class ElfOverlay implements ContentSink {
  #pos = 0;
  #header: ElfHeader | null = null;
  #head = Buffer.alloc(64);
  /** where the ELF ends, as far as the tables read so far say; null once it cannot be told */
  #end: number | null = 64;
  #tables: { at: number; bytes: Buffer; fill: number; sections: boolean }[] = [];
  #overlay: Buffer | null = null;
  #overlayFill = 0;
  #sink: ContentSink | null = null;
  #done = false;

  constructor(private readonly dc: DecoderContext) {}

  write(chunk: Buffer): void {
    if (this.#done) return;
    const start = this.#pos;
    this.#pos += chunk.length;
    if (start < 64) {
      chunk.copy(this.#head, start, 0, Math.min(chunk.length, 64 - start));
      if (this.#pos >= 64 && !this.#plan()) return this.#stop();
    }
    if (this.#tables.length > 0) this.#fillTables(chunk, start);
    if (this.#end === null) return this.#stop();
    // bytes past the end only once every table is in: a table may move the end
    if (this.#tables.length > 0 || this.#pos <= this.#end) return;
    const from = Math.max(0, this.#end - start);
    this.#overlayBytes(chunk.subarray(from));
  }

  end(): void {
    // an overlay shorter than a head, not yet told; one told to be no format was dropped (#done)
    if (!this.#done && this.#overlay !== null && this.#sink === null && this.#overlayFill > 0) this.#open(this.#overlay.subarray(0, this.#overlayFill));
    this.#sink?.end();
    this.#done = true;
  }

  #stop(): void {
    this.#done = true;
    this.#tables = [];
  }

  /** From the header: where the tables are, and the end they give before they are read. */
  #plan(): boolean {
    const h = headerOf(this.#head);
    if (h === null) return false;
    this.#header = h;
    const table = (at: number, size: number, count: number, sections: boolean): boolean => {
      if (count === 0) return true;
      const length = size * count;
      if (size < (h.wide ? (sections ? 64 : 56) : sections ? 40 : 32) || length > MAX_TABLE_BYTES || at < (h.wide ? 64 : 52)) return false;
      this.#end = Math.max(this.#end!, at + length);
      this.#tables.push({ at, bytes: Buffer.alloc(length), fill: 0, sections });
      return true;
    };
    return table(h.phoff, h.phsize, h.phnum, false) && table(h.shoff, h.shsize, h.shnum, true);
  }

  /** Copies what `chunk` (at `start` in the file) holds of each table; a whole table is read and dropped. */
  #fillTables(chunk: Buffer, start: number): void {
    let whole = false;
    for (const table of this.#tables) {
      const from = Math.max(table.at, start);
      const to = Math.min(table.at + table.bytes.length, start + chunk.length);
      if (from >= to) continue;
      chunk.copy(table.bytes, from - table.at, from - start, to - start);
      table.fill += to - from;
      if (table.fill === table.bytes.length) whole = this.#read(table);
    }
    if (whole) this.#tables = this.#tables.filter((t) => t.fill < t.bytes.length);
  }

  /** A whole table: the end of what it describes moves the ELF's end. False when it says nothing usable. */
  #read(table: { bytes: Buffer; sections: boolean }): boolean {
    const h = this.#header!;
    const size = table.sections ? h.shsize : h.phsize;
    const num = (at: number, wide: boolean): number => (wide ? Number(h.little ? table.bytes.readBigUInt64LE(at) : table.bytes.readBigUInt64BE(at)) : h.little ? table.bytes.readUInt32LE(at) : table.bytes.readUInt32BE(at));
    for (let at = 0; at + size <= table.bytes.length; at += size) {
      const [offset, bytes] = table.sections
        ? (h.little ? table.bytes.readUInt32LE(at + 4) : table.bytes.readUInt32BE(at + 4)) === SHT_NOBITS
          ? [0, 0]
          : h.wide
            ? [num(at + 24, true), num(at + 32, true)]
            : [num(at + 16, false), num(at + 20, false)]
        : h.wide
          ? [num(at + 8, true), num(at + 32, true)]
          : [num(at + 4, false), num(at + 16, false)];
      if (!Number.isSafeInteger(offset + bytes)) {
        this.#end = null;
        return true;
      }
      this.#end = Math.max(this.#end!, offset + bytes);
    }
    return true;
  }

  /** What follows the ELF: its first bytes decide whether it is opened at all. */
  #overlayBytes(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (this.#sink !== null) return this.#sink.write(bytes);
    this.#overlay ??= Buffer.alloc(HEAD_BYTES);
    const n = bytes.copy(this.#overlay, this.#overlayFill);
    this.#overlayFill += n;
    if (this.#overlayFill < HEAD_BYTES) return;
    const sink = this.#open(this.#overlay);
    if (n < bytes.length) sink?.write(bytes.subarray(n));
  }

  #open(head: Buffer): ContentSink | null {
    if (sniffFormat(head) === null) {
      this.#stop();
      return null;
    }
    this.#sink = this.dc.open(this.dc.inner, "elf");
    this.#sink.write(head);
    return this.#sink;
  }
}
