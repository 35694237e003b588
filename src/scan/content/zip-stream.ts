import { memberPath, type ContentSink } from "./content-report.js";
import type { DecoderContext } from "./decoder.js";
import { CONTENT_LIMITS, formatBytes } from "./limits.js";
import type { Inflation } from "./reused-inflater.js";
import { SteppedReader } from "./stepped-reader.js";

const LOCAL = 0x04034b50;
const DESCRIPTOR = 0x08074b50;
/** what may follow the last entry: the central directory, a digital signature, archive extra data, the end records */
const AFTER_ENTRIES = new Set([0x02014b50, 0x05054b50, 0x08064b50, 0x06064b50, 0x06054b50]);
const HEADER = 30;
/** a data descriptor with its signature and zip64 sizes, and the next signature after it */
const LOOKAHEAD = 24 + 4;

type State = "header" | "name" | "stored" | "inflate" | "skip" | "descriptor" | "done";

/**
 * A zip too large to gather (a fat jar over the gather limit), read as it streams, entry after
 * entry by its local headers, as java's ZipInputStream reads a jar: a stored or sized entry is
 * handed on byte for byte, a deflated one inflated as it comes; one whose sizes follow its data
 * (java's JarOutputStream) ends where its deflate stream ends, then its data descriptor. The
 * central directory is not needed: what it lists, the local headers hold. What cannot be
 * delimited (a stored entry of unknown size) or was cut at a limit ends the walk, and the rest
 * of the zip is reported as not searched.
 */
export class ZipStream extends SteppedReader {
  #state: State = "header";
  readonly #head = Buffer.alloc(Math.max(HEADER, LOOKAHEAD));
  #fill = 0;
  #name = Buffer.alloc(0);
  #flags = 0;
  #method = 0;
  #remain = 0;
  /** the entry's sizes follow its data */
  #described = false;
  #inner = "";
  #member: ContentSink | null = null;
  #inflation: Inflation | null = null;
  #capReason = "";

  constructor(dc: DecoderContext) {
    super(dc, "zip");
  }

  end(): void {
    if (this.failed || this.#state === "done") return;
    if (this.#state !== "header" || this.#fill > 0) this.fail("cut short");
    else this.#closeEntry();
  }

  protected override done(): boolean {
    return this.#state === "done";
  }

  protected override onFail(): void {
    this.#closeEntry();
  }

  /** The walk cannot go on at the current entry: it and the rest of the zip are reported as not searched, with why. */
  #stop(why: string): void {
    this.#closeEntry();
    this.dc.report.notSearched(this.#inner, `zip over ${formatBytes(CONTENT_LIMITS.maxGatherBytes)}, read as it streams: ${why}; this entry and the rest of the zip were not searched`);
    this.#state = "done";
  }

  #closeEntry(): void {
    this.#member?.end();
    this.#member = null;
    if (this.#inflation !== null) {
      const inflation = this.#inflation;
      this.#inflation = null;
      inflation.end();
    }
  }

  protected step(chunk: Buffer, at: number): number {
    switch (this.#state) {
      case "header":
        return this.#stepHeader(chunk, at);
      case "name": {
        const take = Math.min(this.#name.length - this.#fill, chunk.length - at);
        chunk.copy(this.#name, this.#fill, at, at + take);
        this.#fill += take;
        if (this.#fill === this.#name.length) this.#startData();
        return at + take;
      }
      case "stored":
      case "skip": {
        const take = this.pass(chunk, at, this.#remain, this.#state === "stored" ? this.#member : null);
        this.#remain -= take;
        if (this.#remain === 0) this.#endData();
        return at + take;
      }
      case "inflate":
        return this.#stepInflate(chunk, at);
      case "descriptor":
        return this.#stepDescriptor(chunk, at);
      case "done":
        return chunk.length;
    }
  }

  #stepHeader(chunk: Buffer, at: number): number {
    const take = Math.min(HEADER - this.#fill, chunk.length - at);
    chunk.copy(this.#head, this.#fill, at, at + take);
    this.#fill += take;
    if (this.#fill >= 4) {
      const signature = this.#head.readUInt32LE(0);
      if (AFTER_ENTRIES.has(signature)) {
        this.#state = "done";
        return chunk.length;
      }
      if (signature !== LOCAL) {
        // the compressed entries after it cannot be found: not searched, never only a warning
        this.#inner = this.dc.inner;
        this.#stop("an invalid local header where the next entry should start");
        return chunk.length;
      }
    }
    if (this.#fill === HEADER) {
      const head = this.#head;
      this.#flags = head.readUInt16LE(6);
      this.#method = head.readUInt16LE(8);
      this.#remain = head.readUInt32LE(18);
      this.#name = Buffer.alloc(head.readUInt16LE(26) + head.readUInt16LE(28));
      this.#fill = 0;
      this.#state = "name";
      if (this.#name.length === 0) this.#startData();
    }
    return at + take;
  }

  #startData(): void {
    const nameLength = this.#head.readUInt16LE(26);
    const name = this.#name.toString(this.#flags & 0x800 ? "utf8" : "latin1", 0, nameLength);
    if (this.#remain === 0xffffffff) this.#remain = zip64Compressed(this.#name.subarray(nameLength), this.#head.readUInt32LE(22) === 0xffffffff);
    // sizes after the data: 0 in the header, or in its zip64 field (Python's zipfile on a pipe, stream-zip)
    this.#described = (this.#flags & 8) !== 0 && this.#remain === 0;
    this.#fill = 0;
    this.#inner = memberPath(this.dc.inner, name);
    const directory = name.endsWith("/");
    if (this.#described) {
      if (this.#method !== 8 || (this.#flags & 1) !== 0) return this.#stop("a stored or encrypted entry whose size follows its data cannot be delimited");
      this.#inflation = this.#begin();
      if (this.#inflation === null) return this.#stop("this node's zlib cannot inflate as it streams");
      this.#state = "inflate";
      return;
    }
    if (this.#remain < 0) return this.#stop("its zip64 sizes are missing");
    if (directory) this.#state = "skip";
    else if (this.#flags & 1) {
      this.dc.report.notSearched(this.#inner, "zip: encrypted entry");
      this.#state = "skip";
    } else if (this.#method === 0) {
      this.#member = this.dc.open(this.#inner, "zip");
      this.#state = "stored";
    } else if (this.#method === 8) {
      this.#inflation = this.#begin();
      if (this.#inflation === null) {
        this.dc.report.notSearched(this.#inner, "zip: this node's zlib cannot inflate as it streams");
        this.#state = "skip";
      } else {
        this.#state = "inflate";
      }
    } else {
      this.dc.report.notSearched(this.#inner, `zip: compression method ${this.#method} (only stored and deflate are read)`);
      this.#state = "skip";
    }
    if (this.#remain === 0 && this.#state !== "inflate") this.#endData();
  }

  #begin(): Inflation | null {
    const cap = this.dc.budget.streamCap();
    this.#capReason = cap.reason;
    return this.dc.deflate.begin(cap.bytes, (piece) => {
      this.dc.budget.spend(piece.length);
      (this.#member ??= this.dc.open(this.#inner, "zip")).write(piece);
    });
  }

  #stepInflate(chunk: Buffer, at: number): number {
    const inflation = this.#inflation!;
    const take = this.#described ? chunk.length - at : Math.min(this.#remain, chunk.length - at);
    const left = inflation.write(at === 0 && take === chunk.length ? chunk : chunk.subarray(at, at + take));
    if (!this.#described) {
      this.#remain -= take;
      if (left > 0 || this.#remain === 0) {
        // a sized entry: its end is known whatever its deflate stream made of it; the rest of it is stepped over
        this.#finishInflation();
        if (this.#remain > 0) this.#state = "skip";
        else this.#endData();
      }
      return at + take;
    }
    if (left === 0) return at + take;
    this.#finishInflation();
    if (this.#state !== "done") this.#endData();
    return this.#state === "done" ? chunk.length : at + take - left;
  }

  /** Ends the entry's inflating; a cut or a fault in an entry whose end only the stream tells stops the walk. */
  #finishInflation(): void {
    const inflation = this.#inflation!;
    this.#inflation = null;
    const cut = inflation.end();
    const corrupt = inflation.corrupt();
    if (cut) this.dc.report.notSearched(this.#inner, this.#capReason);
    else if (corrupt) this.dc.report.unreadable(this.#inner, "zip: corrupt deflate data, read in part at most");
    if ((cut || corrupt) && this.#described) this.#stop(`its size follows its data and its deflate stream ${cut ? "was cut at a limit" : "is corrupt"}, so where it ends is unknown`);
  }

  #endData(): void {
    this.#member?.end();
    this.#member = null;
    this.#fill = 0;
    this.#state = (this.#flags & 8) !== 0 ? "descriptor" : "header";
  }

  /** The data descriptor: its length told by what follows it (the next header's signature), as bsdtar tells it. */
  #stepDescriptor(chunk: Buffer, at: number): number {
    const take = Math.min(LOOKAHEAD - this.#fill, chunk.length - at);
    chunk.copy(this.#head, this.#fill, at, at + take);
    this.#fill += take;
    if (this.#fill < LOOKAHEAD) return at + take;
    const head = this.#head;
    const next = (length: number): boolean => head.readUInt32LE(length) === LOCAL || AFTER_ENTRIES.has(head.readUInt32LE(length));
    const signed = head.readUInt32LE(0) === DESCRIPTOR;
    const length = [16, 12, 24, 20].find(next) ?? (signed ? 16 : 12);
    // the bytes read past the descriptor start the next header
    const after = Buffer.from(head.subarray(length, LOOKAHEAD));
    this.#fill = 0;
    this.#state = "header";
    this.write(after);
    return at + take;
  }
}

/** The compressed size from a local header's zip64 extra field (after the uncompressed size when that is saturated too), or -1. */
function zip64Compressed(extra: Buffer, uncompressedToo: boolean): number {
  for (let at = 0; at + 4 <= extra.length; at += 4 + extra.readUInt16LE(at + 2)) {
    if (extra.readUInt16LE(at) !== 0x0001) continue;
    const field = at + 4 + (uncompressedToo ? 8 : 0);
    return field + 8 <= extra.length ? Number(extra.readBigUInt64LE(field)) : -1;
  }
  return -1;
}
