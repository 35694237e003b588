import type { WindowBudget } from "../../match/keyword-windows.js";
import type { StreamMatchHandler, StreamSearcher } from "../../match/stream-search.js";

/** Rule matches one scan records; past this, the rules stop (a hostile image full of tokens). */
export const MAX_RULE_MATCHES = 10_000;
/** Bytes of keyword windows one scan examines before it has read anything; past them, the rules stop (a keyword on every line of a layer). */
export const RULE_WINDOW_BUDGET = 64 * 1024 * 1024;
/** Every this many bytes read from the image widen the window budget by one: the rules' work stays linear in the image. */
export const BYTES_READ_PER_WINDOW_BYTE = 16;
/** The tag a search reports where the rules stopped: below rule matches' tags, far above any variant or keyword. */
export const RULES_STOPPED_TAG = (1 << 30) - 1;

const MiB = 1024 * 1024;
const mib = (bytes: number): string => (bytes % MiB === 0 ? `${bytes / MiB} MiB` : bytes > 16 * MiB ? `${Math.round(bytes / MiB)} MiB` : `${bytes} bytes`);

/**
 * The pattern rules' limits for one scan. Once one is reached the rules stop for the rest of
 * the scan (known values are still searched everywhere), and the search that reached it reports
 * RULES_STOPPED_TAG once, so the report can say where: never a silent clean.
 */
export class RuleLimits implements WindowBudget {
  readonly #maxMatches: number;
  readonly #windowBytes: number;
  #grown = 0;
  #left: number;
  #matches = 0;
  #stopped: string | null = null;
  #marked = false;

  constructor(windowBytes = RULE_WINDOW_BUDGET, maxMatches = MAX_RULE_MATCHES) {
    this.#windowBytes = windowBytes;
    this.#maxMatches = maxMatches;
    this.#left = windowBytes;
  }

  /** The limit that stopped the rules, with its number, or null. */
  get stopped(): string | null {
    return this.#stopped;
  }

  /** Window bytes the rules may still examine (0 once they stopped): what the layer thread gets for a layer. */
  get windowBytesLeft(): number {
    return this.#stopped === null ? this.#left : 0;
  }

  /**
   * Bytes of the image read: the budget grows by a sixteenth of them, so a large image of text
   * (a toolchain's HTML docs) is searched whole. A layer the layer thread walks has the budget
   * left when it began; what it read counts for the layers after it.
   */
  read(bytes: number): void {
    if (this.#stopped !== null) return;
    const more = bytes / BYTES_READ_PER_WINDOW_BYTE;
    this.#grown += more;
    this.#left += more;
  }

  take(bytes: number): boolean {
    if (this.#stopped !== null) return false;
    if (bytes > this.#left) {
      const grown = this.#grown === 0 ? "" : ` and 1/${BYTES_READ_PER_WINDOW_BYTE} of the bytes read`;
      this.#stopped = `more than ${mib(Math.floor(this.#windowBytes + this.#grown))} of text near keywords (limit per scan: ${mib(this.#windowBytes)}${grown}; a keyword occurs too often)`;
      return false;
    }
    this.#left -= bytes;
    return true;
  }

  /** Counts one more match; false once the cap is passed (the match is dropped, the rules stop). */
  admit(): boolean {
    if (this.#stopped !== null) return false;
    if (this.#matches >= this.#maxMatches) {
      this.#stopped = `more than ${this.#maxMatches} matches (limit per scan)`;
      return false;
    }
    this.#matches += 1;
    return true;
  }

  /** True once, right after a limit stopped the rules: the search running now reports where. */
  takeMark(): boolean {
    if (this.#stopped === null || this.#marked) return false;
    this.#marked = true;
    return true;
  }

  /** A stream searcher that reports RULES_STOPPED_TAG in the stream where the rules stopped. */
  marking(inner: StreamSearcher): StreamSearcher {
    const mark = (onMatch: StreamMatchHandler): void => {
      if (this.takeMark()) onMatch(RULES_STOPPED_TAG, inner.offset);
    };
    return {
      get maxLength() {
        return inner.maxLength;
      },
      get offset() {
        return inner.offset;
      },
      push(chunk, onMatch) {
        inner.push(chunk, onMatch);
        mark(onMatch);
      },
      end(onMatch) {
        inner.end(onMatch);
        mark(onMatch);
      },
      reset: () => inner.reset(),
    };
  }
}
