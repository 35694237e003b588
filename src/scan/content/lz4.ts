import type { ContentSink } from "./content-report.js";
import type { Decoder, DecoderContext } from "./decoder.js";
import { FramedReader } from "./framed-reader.js";
import { decodeLz4Block } from "./lz4-block.js";

const FRAME = 0x184d2204;
const LEGACY = 0x184c2102;
const isSkippable = (word: number): boolean => (word & 0xfffffff0) >>> 0 === 0x184d2a50;
/** a linked block may copy from the 64 KiB decoded before it */
const HISTORY = 64 * 1024;
/** the legacy format's blocks decode to 8 MiB; LZ4_compressBound of that is their largest size */
const LEGACY_BLOCK = 8 * 1024 * 1024;
const LEGACY_BOUND = LEGACY_BLOCK + Math.floor(LEGACY_BLOCK / 255) + 16;

const enum Step {
  Magic,
  Descriptor,
  DescriptorRest,
  SkipSize,
  BlockSize,
  Block,
  ContentChecksum,
  LegacySize,
  LegacyBlock,
}

/**
 * An LZ4 file: frames (`lz4`, liblz4's LZ4F: how apt keeps its lists in Debian and Ubuntu images,
 * `Acquire::GzipIndexes`), the legacy format (`lz4 -l`, kernels and initramfs) and skippable
 * frames, one after another in any order. Decoded as it streams, one block at a time (at most
 * 4 MiB, 8 MiB for legacy blocks, plus 64 KiB of history for linked blocks), its output searched
 * and counted against the shared limits. Checksums are not verified: bytes that do not decode
 * are reported, and what decoded was searched either way.
 */
export const lz4Decoder: Decoder = (dc) => new Lz4Stream(dc);

class Lz4Stream extends FramedReader<Step> {
  #frames = 0;
  #output = 0;
  #sink: ContentSink | null = null;
  // the frame being decoded
  #linked = false;
  #blockChecksum = false;
  #contentChecksum = false;
  #max = 0;
  #out: Buffer | null = null;
  #kept = 0;
  #blockSize = 0;
  #uncompressed = false;

  constructor(dc: DecoderContext) {
    super(dc, Step.Magic, 4);
  }

  end(): void {
    const atBoundary = this.atUnitStart && (this.step === Step.Magic || this.step === Step.LegacySize) && this.#frames > 0;
    if (!this.stopped && !atBoundary) this.#unreadable("cut short");
    this.dropPending();
    this.#out = null;
    this.#sink?.end();
  }

  #unreadable(what: string): void {
    this.stopped = true;
    this.dc.report.unreadable(this.dc.inner, `lz4: ${what}`);
  }

  protected take(buf: Buffer, at: number): void {
    switch (this.step) {
      case Step.Magic:
        return this.#magic(buf.readUInt32LE(at));
      case Step.Descriptor:
        return this.#descriptor(buf[at]!, buf[at + 1]!);
      case Step.DescriptorRest:
        return this.expect(Step.BlockSize, 4);
      case Step.ContentChecksum:
        return this.expect(Step.Magic, 4);
      case Step.SkipSize:
        return this.skip(buf.readUInt32LE(at), Step.Magic, 4);
      case Step.BlockSize:
        return this.#blockHeader(buf.readUInt32LE(at));
      case Step.Block:
        return this.#block(buf, at);
      case Step.LegacySize:
        return this.#legacyHeader(buf.readUInt32LE(at));
      case Step.LegacyBlock:
        return this.#legacyBlock(buf, at);
    }
  }

  #magic(word: number): void {
    if (word === FRAME) this.expect(Step.Descriptor, 2);
    else if (word === LEGACY) {
      this.#frames++;
      this.#linked = false;
      this.expect(Step.LegacySize, 4);
    } else if (isSkippable(word)) this.expect(Step.SkipSize, 4);
    else this.#unreadable(this.#frames === 0 ? "not an lz4 frame" : "data after the last frame that is no lz4 frame");
  }

  #descriptor(flg: number, bd: number): void {
    const id = (bd >> 4) & 7;
    if ((flg & 0xc0) !== 0x40 || (flg & 0x02) !== 0 || (bd & 0x8f) !== 0 || id < 4) return this.#unreadable("unknown frame descriptor");
    if ((flg & 0x01) !== 0) {
      this.stopped = true;
      this.dc.report.notSearched(this.dc.inner, "lz4 frame compressed with a dictionary the file does not hold: not decoded");
      return;
    }
    this.#frames++;
    this.#linked = (flg & 0x20) === 0;
    this.#blockChecksum = (flg & 0x10) !== 0;
    this.#contentChecksum = (flg & 0x04) !== 0;
    // 4 → 64 KiB … 7 → 4 MiB
    this.#max = 1 << (8 + 2 * id);
    this.#kept = 0;
    // the content size (8 bytes) when flagged, then the header checksum
    this.expect(Step.DescriptorRest, ((flg & 0x08) !== 0 ? 8 : 0) + 1);
  }

  #blockHeader(word: number): void {
    if (word === 0) return this.expect(this.#contentChecksum ? Step.ContentChecksum : Step.Magic, 4);
    this.#uncompressed = (word & 0x80000000) !== 0;
    this.#blockSize = word & 0x7fffffff;
    if (this.#blockSize > this.#max) return this.#unreadable("a block larger than its frame allows");
    this.expect(Step.Block, this.#blockSize + (this.#blockChecksum ? 4 : 0));
  }

  #block(buf: Buffer, at: number): void {
    const dst = this.#room(this.#max);
    const base = this.#linked ? this.#kept : 0;
    let end: number;
    if (this.#uncompressed) end = base + buf.copy(dst, base, at, at + this.#blockSize);
    else end = decodeLz4Block(buf, at, at + this.#blockSize, dst, base, base + this.#max, 0);
    this.expect(Step.BlockSize, 4);
    if (end < 0) return this.#unreadable("a block that does not decode");
    this.#emit(base, end);
  }

  #legacyHeader(word: number): void {
    // a legacy stream ends at the end of the file, or where another frame starts
    if (word === LEGACY || word === FRAME || isSkippable(word)) return this.#magic(word);
    if (word === 0 || word > LEGACY_BOUND) return this.#unreadable("a legacy block of an impossible size");
    this.#blockSize = word;
    this.expect(Step.LegacyBlock, word);
  }

  #legacyBlock(buf: Buffer, at: number): void {
    const dst = this.#room(LEGACY_BLOCK);
    const end = decodeLz4Block(buf, at, at + this.#blockSize, dst, 0, LEGACY_BLOCK, 0);
    this.expect(Step.LegacySize, 4);
    if (end < 0) return this.#unreadable("a block that does not decode");
    this.#emit(0, end);
  }

  /** Room for a block of `size` bytes after the history; one buffer kept while the shape allows. */
  #room(size: number): Buffer {
    const wanted = (this.#linked ? HISTORY : 0) + size;
    if (this.#out === null || this.#out.length < wanted) {
      const grown = Buffer.allocUnsafe(wanted);
      this.#out?.copy(grown, 0, 0, this.#kept);
      this.#out = grown;
    }
    return this.#out;
  }

  /** Hands `out[from, to)` on, within the limits; a linked frame keeps its last 64 KiB as history. */
  #emit(from: number, to: number): void {
    const n = to - from;
    const cap = this.dc.budget.streamCap();
    if (this.#output + n > cap.bytes) {
      this.stopped = true;
      this.dc.report.notSearched(this.dc.inner, cap.reason);
      return;
    }
    this.#output += n;
    this.dc.budget.spend(n);
    (this.#sink ??= this.dc.open(this.dc.inner, "lz4")).write(this.#out!.subarray(from, to));
    if (this.#linked) {
      this.#kept = Math.min(to, HISTORY);
      this.#out!.copyWithin(0, to - this.#kept, to);
    }
  }
}
