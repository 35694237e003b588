import type { Matcher } from "../match/matcher.js";

/**
 * Finds needles in a byte stream fed chunk by chunk, including matches that straddle chunks.
 * Only the last `maxLength - 1` bytes are carried, so memory stays flat whatever the stream size.
 * Stand-in until src/match/stream-search.ts exists; keep the surface this small so it can be swapped.
 */
export class ChunkSearcher {
  readonly #matcher: Matcher;
  readonly #lengths: readonly number[];
  readonly #keep: number;
  /** carry bytes at [0, carryLen), then room for the head of the next chunk */
  readonly #window: Buffer;
  #carryLen = 0;

  /** `lengths[tag]` is the byte length of the needle with that tag. */
  constructor(matcher: Matcher, lengths: readonly number[]) {
    this.#matcher = matcher;
    this.#lengths = lengths;
    this.#keep = Math.max(0, matcher.maxLength - 1);
    this.#window = Buffer.allocUnsafe(this.#keep * 2);
  }

  /** Forget the carry: call between unrelated streams (tar entries). */
  reset(): void {
    this.#carryLen = 0;
  }

  push(chunk: Buffer, onMatch: (tag: number) => void): void {
    const keep = this.#keep;
    if (keep === 0 || chunk.length === 0) {
      if (chunk.length > 0) this.#matcher.scan(chunk, onMatch);
      return;
    }
    const carryLen = this.#carryLen;
    const head = Math.min(chunk.length, keep);
    chunk.copy(this.#window, carryLen, 0, head);
    if (carryLen > 0) {
      const lengths = this.#lengths;
      this.#matcher.scan(this.#window.subarray(0, carryLen + head), (tag, start) => {
        if (start < carryLen && start + (lengths[tag] ?? 0) > carryLen) onMatch(tag);
      });
    }
    this.#matcher.scan(chunk, onMatch);
    if (chunk.length >= keep) {
      chunk.copy(this.#window, 0, chunk.length - keep);
      this.#carryLen = keep;
    } else {
      const total = carryLen + head;
      if (total > keep) this.#window.copy(this.#window, 0, total - keep, total);
      this.#carryLen = Math.min(total, keep);
    }
  }
}
