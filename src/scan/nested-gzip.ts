import { createGunzip, gunzipSync } from "node:zlib";
import type { Backlog } from "./backlog.js";
import type { InflatedContent, InflatedMemo } from "./inflated-memo.js";
import type { StreamSearch } from "../match/stream-search.js";
import type { NeedleTable } from "./needles.js";
import type { WholeInflater } from "./whole-inflater.js";

/** Bounds for a gzip file found inside a layer: a bomb must not stall or exhaust the scan. */
export const NESTED_GZIP_LIMITS = { maxOutput: 64 * 1024 * 1024, maxRatio: 200, ratioFloor: 1024 * 1024 } as const;

/**
 * Where zlib's handle cannot be driven (WholeInflater), files up to this size inflate in one
 * synchronous call of zlib's public API, larger gathered ones on zlib's threads: a layer holds
 * hundreds of small `.gz` files (man pages, changelogs), and a zlib stream each would cost
 * more than the inflating. Their output is capped at 200 × 64 KiB.
 */
export const SMALL_GZIP_BYTES = 64 * 1024;

/**
 * Files up to this size are gathered whole into one reused buffer per layer and inflate when
 * their entry ends, so identical ones inflate once (InflatedMemo); larger ones inflate as they
 * stream past. Both inflate synchronously into WholeInflater's reused buffer.
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
  readonly inflater: WholeInflater;
  /** searches what `inflater` outputs, reset for each file (a new one per file cost more than its matching) */
  readonly wholeSearch: StreamSearch;
  /**
   * A buffer of at least `size` bytes to gather a file in, reused from one file to the next: a
   * layer walks its files one after another, and a gathered file is done with it when its
   * `end` returns (the streaming fallback copies it).
   */
  readonly gather: (size: number) => Buffer;
  readonly onMatch: (tag: number) => void;
  /** a limit cut the output */
  readonly onTruncated: () => void;
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
 * Where zlib's handle cannot be driven (WholeInflater), gzip files inflate on zlib's threads
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

/** What a scan may queue to its gzip streams before its walk waits (see InflateQueue). */
export const INFLATE_QUEUE_BYTES = 4 * 1024 * 1024;
/** Counted per open stream: its 32 KiB window, its state and its 128 KiB output buffer, rounded up. */
const STREAM_COST = 256 * 1024;

const outputCap = (input: number): number =>
  Math.min(NESTED_GZIP_LIMITS.maxOutput, Math.max(NESTED_GZIP_LIMITS.ratioFloor, input * NESTED_GZIP_LIMITS.maxRatio));

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
        content.then(({ tags, truncated }) => {
          for (const tag of tags) ctx.onMatch(tag);
          if (truncated) ctx.onTruncated();
        }),
      );
    },
    done,
  };
}

/**
 * What a gathered file holds, inflated into WholeInflater's reused buffer; where zlib's handle
 * cannot be driven, small ones inflate in one public synchronous call and the others on zlib's
 * threads. Never rejects.
 */
function inflateWhole(compressed: Buffer, ctx: NestedGzipContext): Promise<InflatedContent> {
  const tags = new Set<number>();
  let truncated = false;
  const content = (): InflatedContent => ({ tags: [...tags], truncated });
  const onMatch = (tag: number): void => {
    tags.add(tag);
  };
  const searcher = ctx.wholeSearch;
  searcher.reset();
  const cut = ctx.inflater.inflate(compressed, outputCap(compressed.length), (piece) => searcher.push(piece, onMatch));
  if (cut !== null) {
    searcher.end(onMatch);
    truncated = cut;
    return Promise.resolve(content());
  }
  if (compressed.length <= SMALL_GZIP_BYTES) {
    try {
      // few large output pieces: the default 16 KiB ones cost more in allocating and joining than in inflating
      const chunkSize = Math.min(256 * 1024, Math.max(16 * 1024, compressed.length * 4));
      const output = gunzipSync(compressed, { maxOutputLength: outputCap(compressed.length), chunkSize });
      ctx.needles.matcher.scan(output, onMatch);
      return Promise.resolve(content());
    } catch {
      // over the cap, or corrupt: the streaming path scans what inflates, up to the limits
    }
  }
  const recording: NestedGzipContext = {
    ...ctx,
    onMatch,
    onTruncated: () => {
      truncated = true;
    },
  };
  // the gathered bytes are in the layer's buffer, which the next file reuses
  const stream = streamingGzip(recording, Buffer.from(compressed));
  stream.end();
  return stream.done.then(content);
}

/**
 * A file too big to gather, inflated synchronously as its bytes come. On zlib's threads each
 * 128 KiB of its output was a hand-off between threads, and the bench image's one such file
 * (2 MB, 19 MB inflated) held the end of an engine scan by 0.2 s. Null where zlib's handle
 * cannot be driven.
 */
function inflatingAsItComes(size: number, { needles, inflater, onMatch, onTruncated }: NestedGzipContext): NestedGzip | null {
  const searcher = needles.streamSearch();
  const inflation = inflater.begin(outputCap(size), (piece) => searcher.push(piece, onMatch));
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
      if (inflation.end()) onTruncated();
      ended();
    },
    done,
  };
}

/** `whole`: the file's bytes, gathered and handed over (not copied); else they come by `write`. */
function streamingGzip({ needles, backlog, queue, onMatch, onTruncated }: NestedGzipContext, whole?: Buffer): NestedGzip {
  const gunzip = createGunzip({ chunkSize: 128 * 1024 });
  const searcher = needles.streamSearch();
  let input = 0;
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
        const { maxOutput, maxRatio, ratioFloor } = NESTED_GZIP_LIMITS;
        if (output > maxOutput || (output > ratioFloor && output > input * maxRatio)) {
          onTruncated();
          break;
        }
        searcher.push(chunk, onMatch);
      }
      searcher.end(onMatch);
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
    input += bytes;
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
