import type { ContentSink } from "./content-report.js";
import { FramedReader } from "./framed-reader.js";
import { heldReason, type DecoderContext } from "./decoder.js";
import { DeltaUndo } from "./delta-undo.js";
import { CONTENT_LIMITS } from "./limits.js";
import { LzmaDecoder } from "./lzma-decoder.js";
import { LzmaWindow, WindowLimit } from "./lzma-window.js";
import { lzma2DictSize, readBlockHeader } from "./xz-block.js";
import { checkSizeOf, XZ_MAGIC } from "./xz-index.js";

const enum Step {
  StreamHeader,
  BlockStart,
  BlockHeader,
  Control,
  ChunkHeader,
  ChunkData,
  Footer,
  StreamPadding,
  HeaderRest,
}

/** The decoded output went over the scan's allowance: stops the decoding where it is. */
class OverCap extends Error {}

const pad4 = (n: number): number => (4 - (n % 4)) % 4;
/** bytes of xz's multibyte integer for `n` */
const varintSize = (n: number): number => Math.max(1, Math.ceil(Math.log2(n + 1) / 7));

/**
 * An xz file read as it streams: streams, blocks, LZMA2 chunks one at a time (at most 64 KiB
 * in, 2 MiB out), the window at most the block's dictionary (64 MiB at most: what `xz -9`
 * uses), so neither the file nor its output is held whole. Used where the in-memory decoder's
 * limits stop (a file over 64 MiB, in or out). Each index is skipped by the size the blocks
 * just read give it; checks are not verified (bytes that do not decode are reported, and what
 * decoded was searched either way).
 */
export class XzStream extends FramedReader<Step> {
  #streams = 0;
  #output = 0;
  #sink: ContentSink | null = null;
  // the stream and block being read
  #checkSize = 0;
  #blockSizeByte = 0;
  #blockBytes = 0;
  #blockOut = 0;
  #blocks: Array<{ unpadded: number; uncompressed: number }> = [];
  #decoder: LzmaDecoder | null = null;
  #window: LzmaWindow | null = null;
  #deltas: DeltaUndo[] = [];
  #control = 0;
  #unpacked = 0;
  #hasProps = false;
  #needDictReset = true;

  constructor(dc: DecoderContext) {
    super(dc, Step.StreamHeader, 12);
  }

  end(): void {
    const atBoundary = this.atUnitStart && this.step === Step.StreamPadding && this.#streams > 0;
    if (!this.stopped && !atBoundary) this.#unreadable(this.#streams === 0 && this.step === Step.StreamHeader ? "no xz stream" : "cut short");
    this.#release();
    this.dropPending();
    this.#sink?.end();
  }

  #unreadable(what: string): void {
    this.stopped = true;
    this.dc.report.unreadable(this.dc.inner, `xz: ${what}`);
  }

  #notSearched(reason: string): void {
    this.stopped = true;
    this.dc.report.notSearched(this.dc.inner, reason);
  }

  /** A unit, with the decoder's faults turned into reports: a limit is not searched, anything else unreadable. */
  protected take(buf: Buffer, at: number): void {
    try {
      this.#take(buf, at);
    } catch (error) {
      if (error instanceof OverCap) this.#notSearched(error.message);
      else if (error instanceof WindowLimit) this.#notSearched(`xz: ${error.message}`);
      else {
        this.#salvage();
        this.#unreadable(`corrupt LZMA2 data (${error instanceof Error ? error.message.slice(0, 120) : "unreadable"})`);
      }
    }
  }

  /** What decoded before a fault is searched, as for the other formats. */
  #salvage(): void {
    try {
      this.#window?.drain();
    } catch {
      // over the scan's allowance: nothing more to hand on
    }
  }

  #take(buf: Buffer, at: number): void {
    switch (this.step) {
      case Step.StreamHeader:
        if (!XZ_MAGIC.every((byte, i) => buf[at + i] === byte)) return this.#unreadable(this.#streams === 0 ? "not an xz stream" : "data after the last stream that is no xz stream");
        return this.#streamFlags(buf[at + 6]!, buf[at + 7]!);
      case Step.HeaderRest:
        if (buf[at] !== 0x5a || buf[at + 1] !== 0x00) return this.#unreadable("data after the last stream that is no xz stream");
        return this.#streamFlags(buf[at + 2]!, buf[at + 3]!);
      case Step.BlockStart:
        if (buf[at] === 0) return this.#index();
        this.#blockSizeByte = buf[at]!;
        return this.expect(Step.BlockHeader, (buf[at]! + 1) * 4 - 1);
      case Step.BlockHeader:
        return this.#blockHeader(buf, at);
      case Step.Control:
        return this.#chunkControl(buf[at]!);
      case Step.ChunkHeader:
        return this.#chunkHeader(buf, at);
      case Step.ChunkData:
        return this.#chunkData(buf, at);
      case Step.Footer:
        if (buf[at + 10] !== 0x59 || buf[at + 11] !== 0x5a) return this.#unreadable("stream footer unreadable");
        return this.expect(Step.StreamPadding, 4);
      case Step.StreamPadding:
        if (buf.readUInt32LE(at) === 0) return;
        if (!XZ_MAGIC.slice(0, 4).every((byte, i) => buf[at + i] === byte)) return this.#unreadable("data after the last stream that is no xz stream");
        return this.expect(Step.HeaderRest, 8);
    }
  }

  #streamFlags(reserved: number, type: number): void {
    if (reserved !== 0 || type > 0x0f) return this.#unreadable("stream flags unreadable");
    this.#streams++;
    this.#checkSize = checkSizeOf(type);
    this.#blocks = [];
    // the header's CRC32 came with it
    this.expect(Step.BlockStart, 1);
  }

  #blockHeader(buf: Buffer, at: number): void {
    const header = Buffer.allocUnsafe(this.need + 1);
    header[0] = this.#blockSizeByte;
    buf.copy(header, 1, at, at + this.need);
    const read = readBlockHeader(header, 0);
    if ("unsupported" in read) return this.#notSearched(`xz: ${read.unsupported} filter (only LZMA2 and delta are read)`);
    if ("malformed" in read) return this.#unreadable(read.malformed);
    const limit = Math.max(4096, Math.min(lzma2DictSize(read.lzma2Props), read.uncompressed ?? Infinity, CONTENT_LIMITS.maxFileBytes));
    this.#release();
    if (!this.dc.budget.hold(limit)) return this.#notSearched(heldReason);
    this.#window = new LzmaWindow(limit, (bytes) => this.#emit(bytes));
    this.#decoder = new LzmaDecoder(this.#window);
    this.#deltas = read.deltas.map((distance) => new DeltaUndo(distance));
    this.#blockBytes = read.headerSize;
    this.#blockOut = 0;
    this.#hasProps = false;
    this.#needDictReset = true;
    this.expect(Step.Control, 1);
  }

  #chunkControl(control: number): void {
    this.#blockBytes += 1;
    this.#control = control;
    if (control === 0) {
      this.#blocks.push({ unpadded: this.#blockBytes + this.#checkSize, uncompressed: this.#blockOut });
      this.#release();
      return this.skip(pad4(this.#blockBytes) + this.#checkSize, Step.BlockStart, 1);
    }
    if (control === 1 || control === 2) {
      if (control === 2 && this.#needDictReset) return this.#unreadable("LZMA2: a block that starts without a dictionary reset");
      return this.expect(Step.ChunkHeader, 2);
    }
    if (control < 0x80) return this.#unreadable("LZMA2: unknown chunk type");
    const reset = (control >>> 5) & 3;
    if (reset < 3 && this.#needDictReset) return this.#unreadable("LZMA2: a block that starts without a dictionary reset");
    if (reset < 2 && !this.#hasProps) return this.#unreadable("LZMA2: a chunk before its properties");
    this.expect(Step.ChunkHeader, reset >= 2 ? 5 : 4);
  }

  #chunkHeader(buf: Buffer, at: number): void {
    this.#blockBytes += this.need;
    const control = this.#control;
    const window = this.#window!;
    if (control < 0x80) {
      if (control === 1) window.reset();
      this.#needDictReset = false;
      return this.expect(Step.ChunkData, buf.readUInt16BE(at) + 1);
    }
    const reset = (control >>> 5) & 3;
    if (reset === 3) window.reset();
    if (reset >= 2) {
      this.#decoder!.setProperties(buf[at + 4]!);
      this.#hasProps = true;
    } else if (reset === 1) this.#decoder!.resetState();
    this.#needDictReset = false;
    this.#unpacked = (control & 0x1f) * 0x10000 + buf.readUInt16BE(at) + 1;
    this.expect(Step.ChunkData, buf.readUInt16BE(at + 2) + 1);
  }

  #chunkData(buf: Buffer, at: number): void {
    this.#blockBytes += this.need;
    const window = this.#window!;
    const before = window.total;
    if (this.#control < 0x80) window.putBytes(buf, at, at + this.need);
    else this.#decoder!.decodeChunk(buf, at, at + this.need, this.#unpacked);
    this.#blockOut += window.total - before;
    window.drain();
    this.expect(Step.Control, 1);
  }

  /** The index: its size follows from the blocks just read (one record each), so it is skipped. */
  #index(): void {
    const records = this.#blocks.reduce((sum, b) => sum + varintSize(b.unpadded) + varintSize(b.uncompressed), 0);
    const size = 1 + varintSize(this.#blocks.length) + records;
    this.skip(size - 1 + pad4(size) + 4, Step.Footer, 12);
  }

  #emit(bytes: Buffer): void {
    let out = bytes;
    for (const delta of this.#deltas) out = delta.undo(out);
    const cap = this.dc.budget.streamCap();
    if (this.#output + out.length > cap.bytes) throw new OverCap(cap.reason);
    this.#output += out.length;
    this.dc.budget.spend(out.length);
    (this.#sink ??= this.dc.open(this.dc.inner, "xz")).write(out);
  }

  #release(): void {
    if (this.#window !== null) this.dc.budget.release(this.#window.limit);
    this.#window = null;
    this.#decoder = null;
  }
}
