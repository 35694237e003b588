import { memberPath, type ContentSink } from "./content-report.js";
import { emit, type DecoderContext } from "./decoder.js";
import { CACHE_BYTES, objectHeader, OFS_DELTA, PackObjects, REF_DELTA, TYPES, type Header } from "./git-pack-objects.js";
import { CONTENT_LIMITS } from "./limits.js";
import type { Inflation } from "./reused-inflater.js";

const enum Step {
  PackHeader,
  ObjectHeader,
  Data,
  Checksum,
  Trailer,
}

/** an object's header: type and size, a base's offset or id, the zlib header; git's are under 40 bytes */
const MAX_HEADER = 64;
const noRefetch = (): null => null;

/**
 * A git pack too large to gather (over 64 MiB: a big repository's `.git` copied into the image),
 * read as it streams: each object inflated as it comes, a whole object searched as it inflates.
 * Deltas are resolved against the bases still in the cache (32 MiB of the latest objects, where
 * git puts a delta's base: `pack.window`); one whose base was dropped is searched as it is, as
 * when gathered a delta that does not resolve is. Memory: the cache, one delta, 64 bytes of header.
 */
export class GitPackStream implements ContentSink {
  #step = Step.PackHeader;
  readonly #head = Buffer.alloc(MAX_HEADER);
  #fill = 0;
  #skip = 0;
  #stopped = false;
  #count = 0;
  #index = 0;
  /** bytes of the pack taken so far: where the next object starts */
  #position = 0;
  readonly #objects: PackObjects;
  #refBytes = 0;
  // the object being inflated
  #header: Header | null = null;
  #at = 0;
  #baseId = "";
  #inflation: Inflation | null = null;
  #output = 0;
  #over = false;
  #sink: ContentSink | null = null;
  #kept: Buffer[] | null = null;

  constructor(private readonly dc: DecoderContext) {
    this.#objects = new PackObjects(dc);
  }

  write(chunk: Buffer): void {
    let at = 0;
    while (!this.#stopped && at < chunk.length) {
      const taken = this.#take(chunk, at);
      at += taken;
      this.#position += taken;
    }
  }

  end(): void {
    if (!this.#stopped && this.#step !== Step.Trailer) {
      this.#unreadable(this.#step === Step.PackHeader ? "git-pack: no pack header" : `git-pack: object ${this.#index} of ${this.#count} past the end (cut short)`);
    }
    this.#closeObject();
    // what was read is searched either way
    this.#objects.resolveRefDeltas(noRefetch);
  }

  /** Takes what the current step needs from `chunk` at `at`; returns how many bytes it took. */
  #take(chunk: Buffer, at: number): number {
    switch (this.#step) {
      case Step.PackHeader: {
        const n = this.#gather(chunk, at, 12);
        if (this.#fill < 12) return n;
        this.#fill = 0;
        if (this.#head.toString("latin1", 0, 4) !== "PACK") {
          this.#unreadable("git-pack: no pack header");
          return n;
        }
        this.#count = this.#head.readUInt32BE(8);
        this.#step = this.#count === 0 ? Step.Trailer : Step.ObjectHeader;
        return n;
      }
      case Step.ObjectHeader:
        return this.#objectHeader(chunk, at);
      case Step.Data:
        return this.#data(chunk, at);
      case Step.Checksum: {
        const n = Math.min(this.#skip, chunk.length - at);
        this.#skip -= n;
        if (this.#skip === 0) this.#step = ++this.#index === this.#count ? Step.Trailer : Step.ObjectHeader;
        return n;
      }
      case Step.Trailer:
        // the pack's SHA-1, and anything after it: not objects
        return chunk.length - at;
    }
  }

  #gather(chunk: Buffer, at: number, upTo: number): number {
    const n = chunk.copy(this.#head, this.#fill, at, Math.min(chunk.length, at + upTo - this.#fill));
    this.#fill += n;
    return n;
  }

  /** Gathers header bytes until they parse: what belongs to the zlib data after it is left in the chunk. */
  #objectHeader(chunk: Buffer, at: number): number {
    const before = this.#fill;
    this.#gather(chunk, at, MAX_HEADER);
    const header = objectHeader(this.#head.subarray(0, this.#fill), 0, this.#position - before);
    if (header === null) {
      if (this.#fill === MAX_HEADER) this.#unreadable(`git-pack: object ${this.#index} of ${this.#count}: header unreadable`);
      return this.#fill - before;
    }
    this.#fill = 0;
    this.#begin(header, this.#position - before);
    // the 2-byte zlib header ends the object's header
    return header.data + 2 - before;
  }

  #begin(header: Header, at: number): void {
    this.#header = header;
    this.#at = at;
    this.#output = 0;
    this.#over = false;
    if (header.type === REF_DELTA) this.#baseId = this.#head.toString("hex", header.data - 20, header.data);
    const isDelta = header.type === OFS_DELTA || header.type === REF_DELTA;
    // a delta is kept whole to be resolved; a whole object streams through the search, kept as a base when it fits the cache
    const keep = isDelta ? header.size <= CONTENT_LIMITS.maxFileBytes : header.size <= CACHE_BYTES;
    this.#kept = keep ? [] : null;
    this.#sink = null;
    const cap = this.dc.budget.streamCap();
    const inflation = this.dc.deflate.begin(Number.MAX_SAFE_INTEGER, (piece) => {
      if (this.#over) return;
      if (this.#output + piece.length > cap.bytes) {
        this.#over = true;
        this.#notSearched(`${cap.reason}; the pack's objects after it are not searched`);
        return;
      }
      this.#output += piece.length;
      this.dc.budget.spend(piece.length);
      if (this.#kept !== null) this.#kept.push(Buffer.from(piece));
      if (!isDelta || this.#kept === null) (this.#sink ??= this.dc.open(this.#name(header.type), "git-pack")).write(piece);
    });
    if (inflation === null) return this.#notSearched("git-pack: this node's zlib cannot tell where an object ends");
    this.#inflation = inflation;
    this.#step = Step.Data;
  }

  #data(chunk: Buffer, at: number): number {
    const input = chunk.subarray(at);
    const left = this.#inflation!.write(input);
    if (this.#stopped) return input.length;
    if (this.#inflation!.corrupt()) {
      this.#unreadable("git-pack: corrupt zlib stream, the objects after it not read", this.#name(this.#header!.type));
      return input.length;
    }
    // input left over: the stream ended before it (its Adler-32 and the next object follow)
    if (left === 0) return input.length;
    this.#finishObject();
    this.#skip = 4;
    this.#step = Step.Checksum;
    return input.length - left;
  }

  #finishObject(): void {
    const header = this.#header!;
    const kept = this.#kept;
    this.#closeObject();
    if (kept === null) return;
    const content = kept.length === 1 ? kept[0]! : Buffer.concat(kept);
    if (header.type === OFS_DELTA) {
      const resolved = this.#objects.resolve(header, content, noRefetch);
      if (resolved !== null) return this.#objects.report(this.#at, resolved);
    } else if (header.type === REF_DELTA && this.#refBytes + content.length <= CACHE_BYTES) {
      this.#refBytes += content.length;
      this.#objects.refDelta(this.#at, this.#baseId, content);
    } else if (header.type !== REF_DELTA) return this.#objects.whole(this.#at, header.type, content);
    // a delta not resolved now: searched as it is (a ref-delta too, which may still resolve at the end)
    if (content.length > 0) emit(this.dc, this.#name(header.type), "git-pack", content);
  }

  #closeObject(): void {
    this.#inflation?.end();
    this.#inflation = null;
    this.#sink?.end();
    this.#sink = null;
    this.#kept = null;
  }

  #name(type: number): string {
    return memberPath(this.dc.inner, `${TYPES[type] ?? `type${type}`}@${this.#at}`);
  }

  #unreadable(reason: string, inner = this.dc.inner): void {
    this.#stopped = true;
    this.dc.report.unreadable(inner, reason);
  }

  #notSearched(reason: string): void {
    this.#stopped = true;
    this.dc.report.notSearched(this.#header === null ? this.dc.inner : this.#name(this.#header.type), reason);
  }
}

/** bytes of a bundle's header (its refs) gathered before the pack; a header longer than this is no bundle's */
const MAX_BUNDLE_HEADER = 16 * 1024 * 1024;

/** A git bundle too large to gather: its header of refs up to a blank line skipped, its pack read as it streams. */
export function gitBundleStream(dc: DecoderContext): ContentSink {
  let headerBytes = 0;
  let lastWasNewline = false;
  let pack: GitPackStream | null = null;
  let failed = false;
  return {
    write(chunk) {
      if (pack !== null) return pack.write(chunk);
      if (failed) return;
      // the blank line may straddle two chunks
      const blank = lastWasNewline && chunk[0] === 0x0a ? -1 : chunk.indexOf("\n\n");
      if (blank === -1 && !(lastWasNewline && chunk[0] === 0x0a)) {
        headerBytes += chunk.length;
        lastWasNewline = chunk[chunk.length - 1] === 0x0a;
        if (headerBytes > MAX_BUNDLE_HEADER) {
          failed = true;
          dc.report.unreadable(dc.inner, "git bundle: no pack after its header");
        }
        return;
      }
      pack = new GitPackStream(dc);
      pack.write(chunk.subarray(blank === -1 ? 1 : blank + 2));
    },
    end() {
      if (pack !== null) pack.end();
      else if (!failed) dc.report.unreadable(dc.inner, "git bundle: no pack after its header");
    },
  };
}
