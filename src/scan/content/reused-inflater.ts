import { constants, createGunzip, createInflateRaw, type Gunzip, type InflateRaw } from "node:zlib";
import { handleOf, type ZlibHandle } from "./zlib-handle.js";

/** One gzip stream inflating: `write` its bytes as they come, then `end` (see ReusedInflater.begin). */
export interface Inflation {
  /** Returns how many bytes of `input` were left untaken: 0 while the stream wants more, else it ended (or stopped) before them. */
  write(input: Buffer): number;
  /** Whether the cap cut the output. */
  end(): boolean;
  /** Whether the data was corrupt (what inflated before the fault was passed on). */
  corrupt(): boolean;
}

/** One output piece: big enough that a call's fixed cost is small, small enough to stay in cache. */
const OUTPUT_BYTES = 256 * 1024;

/**
 * Inflates whole gzip files synchronously into one reused output buffer: zlib's public calls
 * allocate fresh output for every file, and the page faults of fresh memory cost more than the
 * inflating (measured in docs/performance.md). Reusing the output and the handle leaves zlib's own work.
 */
export class ReusedInflater {
  readonly #output = Buffer.allocUnsafeSlow(OUTPUT_BYTES);
  /** gzip files, or raw deflate (zip entries: a fresh handle per entry cost 100-200 µs, more than inflating it) */
  readonly #raw: boolean;
  #stream: Gunzip | InflateRaw | null = null;
  #handle: ZlibHandle | null = null;
  #state: Uint32Array | null = null;
  #failed = false;
  /** input the last `write` left unread: past the end of a deflate stream, or none */
  #left = 0;
  #busy = false;
  #spare: ReusedInflater | null = null;

  constructor(format: "gzip" | "raw" = "gzip") {
    this.#raw = format === "raw";
  }


  /**
   * Passes the inflated content of `input` (a whole gzip file, its members one after another) to
   * `onOutput` in pieces, borrowed (valid only during the call), at most `cap` bytes of it.
   * Returns whether the cap cut it; corrupt or cut-short data ends it quietly, after what
   * inflated before it. Null: this node's zlib cannot be driven this way (nothing was output).
   */
  inflate(input: Buffer, cap: number, onOutput: (piece: Buffer) => void): boolean | null {
    const inflation = this.begin(cap, onOutput);
    if (inflation === null) return null;
    inflation.write(input);
    return inflation.end();
  }

  /** `inflate`, telling a cut at the cap from corrupt data (what inflated before either was passed on). */
  inflateChecked(input: Buffer, cap: number, onOutput: (piece: Buffer) => void): "whole" | "cut" | "corrupt" | null {
    if (this.#busy) return (this.#spare ??= new ReusedInflater(this.#raw ? "raw" : "gzip")).inflateChecked(input, cap, onOutput);
    const cut = this.inflate(input, cap, onOutput);
    if (cut === null) return null;
    return cut ? "cut" : this.#failed ? "corrupt" : "whole";
  }

  /**
   * `inflateChecked` for one raw deflate stream at the start of `input`, also telling how many
   * bytes of `input` it took (where what follows it starts: a git pack's next object). When the
   * input ran out before the stream ended, `consumed` is all of it.
   */
  inflateStream(input: Buffer, cap: number, onOutput: (piece: Buffer) => void): { outcome: "whole" | "cut" | "corrupt"; consumed: number } | null {
    if (this.#busy) return (this.#spare ??= new ReusedInflater(this.#raw ? "raw" : "gzip")).inflateStream(input, cap, onOutput);
    const outcome = this.inflateChecked(input, cap, onOutput);
    return outcome === null ? null : { outcome, consumed: input.length - this.#left };
  }

  /**
   * `inflate` for a file whose bytes come in pieces (too big to gather): each `write` inflates
   * what it can at once; `end` returns whether the cap cut the output. Null: this node's zlib
   * cannot be driven this way.
   */
  begin(cap: number, onOutput: (piece: Buffer) => void): Inflation | null {
    // Layers whose own bytes decompress on zlib's threads may be walked interleaved, a large
    // file of one open while another's files inflate: the second gets a handle of its own.
    if (this.#busy) return (this.#spare ??= new ReusedInflater(this.#raw ? "raw" : "gzip")).begin(cap, onOutput);
    const opened = this.#open();
    if (opened === null) return null;
    const { handle, state } = opened;
    const output = this.#output;
    let total = 0;
    let truncated = false;
    let stopped = false;
    this.#failed = false;
    this.#busy = true;
    return {
      write: (input) => {
        // closed meanwhile (the scan ended while a layer was still being walked): never write to a closed handle
        if (this.#handle !== handle) stopped = true;
        let inOffset = 0;
        let inLength = input.length;
        this.#left = inLength;
        while (!stopped) {
          // Z_SYNC_FLUSH, not Z_FINISH: a file cut short gives what inflated of it instead of an error
          handle.writeSync(constants.Z_SYNC_FLUSH, input, inOffset, inLength, output, 0, output.length);
          // Corrupt data (reported during the call): a failing call leaves `state` as the call
          // before left it, so what it inflated is lost with it and nothing of the buffer may be
          // passed on.
          if (this.#failed) {
            stopped = true;
            break;
          }
          const free = state[0]!;
          const left = state[1]!;
          this.#left = left;
          const have = output.length - free;
          if (have > cap - total) {
            if (cap > total) onOutput(output.subarray(0, cap - total));
            truncated = true;
            stopped = true;
            break;
          }
          if (have > 0) onOutput(output.subarray(0, have));
          total += have;
          // output space left over: zlib has nothing more to give from this input
          if (free > 0) break;
          inOffset += inLength - left;
          inLength = left;
        }
        return stopped ? input.length : this.#left;
      },
      end: () => {
        if (this.#handle !== handle) return truncated;
        this.#busy = false;
        if (this.#failed) this.#close();
        else handle.reset();
        return truncated;
      },
      corrupt: () => this.#failed,
    };
  }

  /** Frees zlib's state (the next `inflate` opens a new one). */
  close(): void {
    this.#close();
    this.#spare?.close();
  }

  #open(): { handle: ZlibHandle; state: Uint32Array } | null {
    if (this.#handle === null || this.#state === null) {
      const stream = this.#raw ? createInflateRaw() : createGunzip();
      const opened = handleOf(stream);
      if (opened === null) {
        stream.close();
        return null;
      }
      // ours, not the stream's: a corrupt file is an outcome here, not an error to emit
      opened.handle.onerror = () => {
        this.#failed = true;
      };
      this.#stream = stream;
      this.#handle = opened.handle;
      this.#state = opened.state;
    }
    return { handle: this.#handle, state: this.#state };
  }

  #close(): void {
    this.#busy = false;
    this.#handle = null;
    this.#state = null;
    this.#stream?.close();
    this.#stream = null;
  }
}
