import type { ContentContext, ContentSink } from "./content-report.js";
import type { ContentFormat } from "./format.js";
import { CONTENT_LIMITS, formatBytes } from "./limits.js";

/** What a decoder is handed: where it sits in the chain, and how its members are searched in turn. */
export interface DecoderContext extends ContentContext {
  /** the chain of the file being decoded ("" for the layer entry itself) */
  readonly inner: string;
  /** The bytes of a member (or of the decoded stream, at the same `inner`): searched, and opened when they hold a format. */
  readonly open: (inner: string, container: ContentFormat) => ContentSink;
  /** `open`, write and end for bytes that are all there */
  readonly openWhole: (inner: string, container: ContentFormat, data: Buffer) => void;
  /** the file's size when its container says it (a tar entry, a member decoded whole), else null */
  readonly size: number | null;
}

/** One format: takes the file's bytes as they come, reports through `report`, never throws. */
export type Decoder = (dc: DecoderContext) => ContentSink;

export const heldReason = `the content held in memory at once reached ${formatBytes(CONTENT_LIMITS.maxHeldBytes)} (memory limit)`;

/** Hands a decoded member over whole, counted against the memory budget while it is searched. */
export function emit(dc: DecoderContext, inner: string, container: ContentFormat, data: Buffer): void {
  if (!dc.budget.hold(data.length)) {
    dc.report.notSearched(inner, heldReason);
    return;
  }
  try {
    dc.openWhole(inner, container, data);
  } finally {
    dc.budget.release(data.length);
  }
}

/**
 * For formats decoded from memory (zip reads its directory at the end; the xz, bzip2 and
 * gzip decoders used here take whole buffers): gathers the file, up to the gather limit and
 * the memory budget, and decodes it at its end. Past them, a format that can also be read as
 * it streams (`spill`: a zip by its local headers) gets what was gathered, then the rest;
 * any other is reported as not searched.
 */
export function gathered(dc: DecoderContext, format: ContentFormat, decode: (input: Buffer) => void, spill?: () => ContentSink): ContentSink {
  let gathering: Buffer | null = null;
  let size = 0;
  let over = false;
  let spilled: ContentSink | null = null;
  const { maxGatherBytes } = CONTENT_LIMITS;
  return {
    write(chunk) {
      if (spilled !== null) return spilled.write(chunk);
      if (over) return;
      // a file its container says is over the limit streams from its first byte
      const known = spill !== undefined && size === 0 && dc.size !== null && dc.size > maxGatherBytes;
      if (known || size + chunk.length > maxGatherBytes || !dc.budget.hold(chunk.length)) {
        over = true;
        dc.budget.release(size);
        const tooBig = size + chunk.length > maxGatherBytes;
        if (spill !== undefined) {
          spilled = spill();
          if (gathering !== null) spilled.write(gathering.subarray(0, size));
        }
        if (gathering !== null) dc.gathers.give(gathering);
        gathering = null;
        if (spilled !== null) return spilled.write(chunk);
        dc.report.notSearched(dc.inner, tooBig ? `${format} file over ${formatBytes(maxGatherBytes)} (limit for decoding in memory)` : heldReason);
        return;
      }
      gathering = roomFor(dc, gathering, size, chunk.length);
      size += chunk.copy(gathering, size);
    },
    end() {
      if (spilled !== null) return spilled.end();
      if (over) return;
      over = true;
      const input = gathering;
      gathering = null;
      try {
        decode(input === null ? Buffer.alloc(0) : input.subarray(0, size));
      } finally {
        dc.budget.release(size);
        if (input !== null) dc.gathers.give(input);
      }
    },
  };
}

/**
 * `held` (its first `size` bytes kept) or a larger buffer from the pool, with room for `more`
 * bytes after them; the file's size, when its container said it, is taken at once.
 */
export function roomFor(dc: DecoderContext, held: Buffer | null, size: number, more: number): Buffer {
  if (held !== null && held.length >= size + more) return held;
  const grown = dc.gathers.take(Math.min(CONTENT_LIMITS.maxGatherBytes, Math.max(size + more, dc.size ?? 0, 2 * size)));
  if (held !== null) {
    held.copy(grown, 0, 0, size);
    dc.gathers.give(held);
  }
  return grown;
}

/** A decoder's error as a reason: library messages name formats and offsets, never content. */
export function corrupt(format: ContentFormat, error: unknown): string {
  const message = error instanceof Error ? error.message.split("\n")[0]!.slice(0, 120) : "unreadable";
  return `${format}: corrupt or unsupported data, read in part at most (${message})`;
}

/** node's zlib and the libraries here throw a RangeError when an output limit is reached. */
export const isOutputLimit = (error: unknown): boolean =>
  error instanceof RangeError || (error instanceof Error && (error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE");
