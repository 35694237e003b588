import { createGunzip, gunzipSync } from "node:zlib";
import type { Backlog } from "../../bytes/backlog.js";
import type { InflatedContent, InflatedMemo, InnerRecord } from "./inflated-memo.js";
import type { StreamSearcher } from "../../match/stream-search.js";
import type { NeedleTable } from "../findings/needles.js";
import type { ReusedInflater } from "./reused-inflater.js";
import type { ContentReport, ContentSink } from "./content-report.js";
import type { ContentBudget, OutputCap } from "./limits.js";


/**
 * Where zlib's handle cannot be driven (ReusedInflater), files up to this size inflate in one
 * synchronous call of zlib's public API, larger gathered ones on zlib's threads: a layer holds
 * hundreds of small `.gz` files (man pages, changelogs), and a zlib stream each would cost
 * more than the inflating. Their output is capped at 200 × 64 KiB.
 */
export const SMALL_GZIP_BYTES = 64 * 1024;

/**
 * Files up to this size are gathered whole into one reused buffer per layer and inflate when
 * their entry ends, so identical ones inflate once (InflatedMemo); larger ones inflate as they
 * stream past. Both inflate synchronously into ReusedInflater's reused buffer.
 */
export const GATHERED_GZIP_BYTES = 2 * 1024 * 1024;

export interface NestedGzipContext {
  readonly needles: NeedleTable;
  /** where a full queue makes the walk wait */
  readonly backlog: Backlog;
  readonly queue: InflateQueue;
  /** what the scan's gzip files held, by their bytes */
  readonly memo: InflatedMemo;
  /** inflates the layer's gzip files, one at a time (gathered ones at their end, larger ones as they come) */
  readonly inflater: ReusedInflater;
  /** searches what `inflater` outputs, reset for each file (a new one per file cost more than its matching) */
  readonly wholeSearch: StreamSearcher;
  /**
   * A buffer of at least `size` bytes to gather a file in, reused from one file to the next: a
   * layer walks its files one after another, and a gathered file is done with it when its
   * `end` returns (the streaming fallback copies it).
   */
  readonly gather: (size: number) => Buffer;
  readonly onMatch: (tag: number) => void;
  /** a limit cut the output: the reason names it */
  readonly onTruncated: (reason: string) => void;
  /** the scan's limits on decoded bytes (the gzip file's own output counts against them) */
  readonly budget: ContentBudget;
  /** what a format found inside the inflated content (a `.tar.gz`) reports */
  readonly report: ContentReport;
  /** The inflated content's first piece names a format: where the content goes, or null. */
  readonly openInner: (head: Buffer, report: ContentReport) => ContentSink | null;
}

export interface NestedGzip {
  /** `chunk` is borrowed (copied when kept). */
  write(chunk: Buffer): void;
  /** The end of the file (or of what there is of it); its inflating may go on. */
  end(): void;
  /** Resolves once `end` has been called and the inflating is over; never rejects. */
  readonly done: Promise<void>;
}

/**
 * Where zlib's handle cannot be driven (ReusedInflater), gzip files inflate on zlib's threads
 * while the walk goes on (each layer awaits its own files' `done` at its finish): the walk waits
 * only once `limit` bytes are queued (compressed input not yet inflated, plus a fixed cost per
 * open stream for its window and buffers), until half of that is done. Waiting for each file, as
 * a drain per write did, put every inflate in series with the walk.
 */
export class InflateQueue {
  readonly #limit: number;
  #queued = 0;
  #waiters: (() => void)[] = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  take(bytes: number): void {
    this.#queued += bytes;
  }

  give(bytes: number): void {
    this.#queued -= bytes;
    if (this.#queued > this.#limit / 2) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  get full(): boolean {
    return this.#queued > this.#limit;
  }

  /** Bytes held now: 0 once every stream has ended, whatever became of it. */
  get queued(): number {
    return this.#queued;
  }

  /** Resolves once at most half the limit is queued. */
  drained(): Promise<void> {
    return this.#queued <= this.#limit / 2 ? Promise.resolve() : new Promise((resolve) => this.#waiters.push(resolve));
  }
}

/**
 * Where a gzip file's inflated pieces go: searched, and into a format opened on its first piece
 * (a tar inside: pieces are 128-256 KiB, or the whole content, so the head is in the first).
 */
function contentOutput(ctx: NestedGzipContext, report: ContentReport, search: (piece: Buffer) => void): { push(piece: Buffer): void; end(): void } {
  let inner: ContentSink | null = null;
  let first = true;
  let bytes = 0;
  return {
    push(piece) {
      bytes += piece.length;
      search(piece);
      if (first) {
        first = false;
        inner = ctx.openInner(piece, report);
      }
      inner?.write(piece);
    },
    end() {
      ctx.budget.spend(bytes);
      inner?.end();
    },
  };
}

/** What a scan may queue to its gzip streams before its walk waits (see InflateQueue). */
export const INFLATE_QUEUE_BYTES = 4 * 1024 * 1024;
/** Counted per open stream: its 32 KiB window, its state and its 128 KiB output buffer, rounded up. */
const STREAM_COST = 256 * 1024;


/**
 * Scans the decompressed content of a gzip file of `size` bytes as its compressed bytes stream
 * past. A corrupt member ends the inner scan quietly (what inflated before it is scanned): the
 * compressed bytes were scanned as they are. `onTruncated` is called when a limit cut the output.
 */
export function startNestedGzip(size: number, ctx: NestedGzipContext): NestedGzip {
  if (size > GATHERED_GZIP_BYTES) return inflatingAsItComes(size, ctx) ?? streamingGzip(ctx);
  const input = ctx.gather(size);
  let fill = 0;
  let closed = false;
  let ended!: (reported: PromiseLike<void>) => void;
  const done = new Promise<void>((resolve) => (ended = resolve));
  return {
    write(chunk) {
      if (!closed) fill += chunk.copy(input, fill);
    },
    end() {
      if (closed) return;
      closed = true;
      // a walk cut inside the file ends it early: what there is of it is what inflates
      const compressed = input.subarray(0, Math.min(fill, size));
      const content = ctx.memo.contentOf(compressed, () => inflateWhole(compressed, ctx));
      ended(
        content.then(({ tags, truncated, inner }) => {
          for (const tag of tags) ctx.onMatch(tag);
          if (truncated !== null) ctx.onTruncated(truncated);
          for (const record of inner) {
            if (record.kind === "hit") ctx.report.hit(record.tag, record.inner, record.container);
            else if (record.kind === "unreadable") ctx.report.unreadable(record.inner, record.reason);
            else ctx.report.notSearched(record.inner, record.reason);
          }
        }),
      );
    },
    done,
  };
}

/**
 * What a gathered file holds, inflated into ReusedInflater's reused buffer; where zlib's handle
 * cannot be driven, small ones inflate in one public synchronous call and the others on zlib's
 * threads. Never rejects.
 */
function inflateWhole(compressed: Buffer, ctx: NestedGzipContext): Promise<InflatedContent> {
  const tags = new Set<number>();
  let truncated: string | null = null;
  const inner: InnerRecord[] = [];
  const content = (): InflatedContent => ({ tags: [...tags], truncated, inner });
  const onMatch = (tag: number): void => {
    tags.add(tag);
  };
  const recorder: ContentReport = {
    hit: (tag, at, container) => inner.push({ kind: "hit", tag, inner: at, container }),
    notSearched: (at, reason) => inner.push({ kind: "notSearched", inner: at, reason }),
    unreadable: (at, reason) => inner.push({ kind: "unreadable", inner: at, reason }),
  };
  const searcher = ctx.wholeSearch;
  searcher.reset();
  const cap = ctx.budget.streamCap();
  const whole = contentOutput(ctx, recorder, (piece) => searcher.push(piece, onMatch));
  const cut = ctx.inflater.inflate(compressed, cap.bytes, (piece) => whole.push(piece));
  if (cut !== null) {
    searcher.end(onMatch);
    whole.end();
    if (cut) truncated = cap.reason;
    return Promise.resolve(content());
  }
  if (compressed.length <= SMALL_GZIP_BYTES) {
    try {
      // few large output pieces: the default 16 KiB ones cost more in allocating and joining than in inflating
      const chunkSize = Math.min(256 * 1024, Math.max(16 * 1024, compressed.length * 4));
      const output = gunzipSync(compressed, { maxOutputLength: Math.max(1, cap.bytes), chunkSize });
      const small = contentOutput(ctx, recorder, (piece) => ctx.needles.matcher.scan(piece, onMatch));
      small.push(output);
      small.end();
      return Promise.resolve(content());
    } catch {
      // over the cap, or corrupt: the streaming path scans what inflates, up to the limits
    }
  }
  const recording: NestedGzipContext = {
    ...ctx,
    onMatch,
    onTruncated: (reason) => {
      truncated = reason;
    },
    report: recorder,
  };
  // the gathered bytes are in the layer's buffer, which the next file reuses
  const stream = streamingGzip(recording, Buffer.from(compressed));
  stream.end();
  return stream.done.then(content);
}

/**
 * A file too big to gather, inflated synchronously as its bytes come: on zlib's threads every
 * 128 KiB of output is a hand-off between threads (docs/performance.md). Null where zlib's handle
 * cannot be driven.
 */
function inflatingAsItComes(size: number, ctx: NestedGzipContext): NestedGzip | null {
  const { needles, inflater, onMatch, onTruncated } = ctx;
  const searcher = needles.streamSearch();
  const cap = ctx.budget.streamCap();
  const output = contentOutput(ctx, ctx.report, (piece) => searcher.push(piece, onMatch));
  const inflation = inflater.begin(cap.bytes, (piece) => output.push(piece));
  if (inflation === null) return null;
  let closed = false;
  let ended!: () => void;
  const done = new Promise<void>((resolve) => (ended = resolve));
  return {
    write(chunk) {
      if (!closed) inflation.write(chunk);
    },
    end() {
      if (closed) return;
      closed = true;
      searcher.end(onMatch);
      if (inflation.end()) onTruncated(cap.reason);
      output.end();
      ended();
    },
    done,
  };
}

/** `whole`: the file's bytes, gathered and handed over (not copied); else they come by `write`. */
function streamingGzip(ctx: NestedGzipContext, whole?: Buffer): NestedGzip {
  const { needles, backlog, queue, onMatch, onTruncated } = ctx;
  const gunzip = createGunzip({ chunkSize: 128 * 1024 });
  const searcher = needles.streamSearch();
  const content = contentOutput(ctx, ctx.report, (piece) => searcher.push(piece, onMatch));
  let output = 0;
  let stopped = false;
  // what this stream holds of the queue; given back as zlib takes each write, the rest at the end
  let held = STREAM_COST;
  queue.take(STREAM_COST);
  const release = (bytes: number): void => {
    if (stopped) return;
    held -= bytes;
    queue.give(bytes);
  };
  const consumer = (async () => {
    try {
      for await (const chunk of gunzip as AsyncIterable<Buffer>) {
        output += chunk.length;
        const cap: OutputCap = ctx.budget.streamCap();
        if (output > cap.bytes) {
          onTruncated(cap.reason);
          break;
        }
        content.push(chunk);
      }
      searcher.end(onMatch);
      content.end();
    } catch {
      // not gzip after all, or cut short: nothing more to scan
    }
    // a destroyed stream may never call back for the writes it had queued
    stopped = true;
    queue.give(held);
    held = 0;
    gunzip.destroy();
  })();
  let closed = false;
  let ended!: () => void;
  const endCalled = new Promise<void>((resolve) => (ended = resolve));
  const feed = (chunk: Buffer): void => {
    if (stopped || closed) return;
    const bytes = chunk.length;
    held += bytes;
    queue.take(bytes);
    gunzip.write(chunk, () => release(bytes));
    if (queue.full) backlog.add(queue.drained());
  };
  if (whole !== undefined) feed(whole);
  return {
    write(chunk) {
      // the chunk is borrowed, and zlib reads it later
      if (!stopped && !closed) feed(Buffer.from(chunk));
    },
    end() {
      if (closed) return;
      closed = true;
      if (!stopped) gunzip.end();
      ended();
    },
    done: endCalled.then(() => consumer),
  };
}
