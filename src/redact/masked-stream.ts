import { Writable } from "node:stream";
import type { RangeMatcher } from "../match/matcher.js";
import { applyMask, coverage } from "./coverage.js";
import type { Fragments } from "./fragments.js";
import type { MaskedStream } from "./masker-api.js";

/** What a stream needs from its masker: the current needles (they grow as secrets resolve). */
export interface MaskTable {
  readonly matcher: RangeMatcher;
  readonly lengths: readonly number[];
  /** Held prefixes shorter than this are let out after the delay. */
  readonly minHold: number;
  /** Pieces of values to mask too (fragments.ts); undefined when no value has any. */
  readonly fragments: Fragments | undefined;
}

/**
 * How long a partial line waits for its next bytes. A BuildKit log writes whole lines; 75 ms
 * keeps a prompt or a progress line live while still joining a value split over two writes.
 */
const FLUSH_DELAY_MS = 75;
/** Bytes already written that stay visible to matching, so a value split by a flush is still masked. */
const CONTEXT_BYTES = 256;

type Step = "write" | "timer" | "final";

/**
 * Where what may go out now ends in `work` (its first `c` bytes are context already written):
 * before a held tail that may begin a secret, as written or as the terminal shows it, and
 * before an unfinished escape sequence, unless the timer lets a short one out.
 */
function cutPoint(
  work: Buffer,
  c: number,
  mode: "write" | "timer",
  matcher: MaskTable["matcher"],
  minHold: number,
  ranges: ReturnType<typeof coverage>["ranges"],
  stripped: ReturnType<typeof coverage>["stripped"],
  tail: ReturnType<typeof coverage>["tail"],
): number {
  let end = work.length;
  const tailRaw = matcher.pendingTail(work);
  const tailShown = stripped.map ? matcher.pendingTail(stripped.text) : 0;
  const heldPrefix = Math.max(tailRaw, tailShown, tail.length);
  const letOut = mode === "timer" && heldPrefix < minHold;
  if (!letOut) {
    if (tailRaw > 0) end = work.length - tailRaw;
    if (tailShown > 0) end = Math.min(end, stripped.map![stripped.text.length - tailShown]!);
    end = Math.min(end, tail.start);
    if (mode === "write") end = Math.min(end, stripped.incompleteFrom);
  }
  // A hit reaching into the held tail goes out whole, later; in a write, so does one
  // touching the end, as the next bytes may extend it (merged hits make one `***`).
  for (const [s, e] of ranges) if (s < end && (e > end || (e === end && mode === "write"))) end = s;
  return Math.max(end, c);
}

/**
 * A masked stream over `target`. Bytes pass as soon as no secret can start in them: held back
 * is only a tail that is a proper prefix of some variant (as written or as the terminal shows
 * it), the start of a possible fragment (under FRAGMENT_BYTES characters), or an unfinished
 * escape sequence. A held tail shorter than `minHold` (or an escape
 * sequence) is let out after FLUSH_DELAY_MS so output stays live; the bytes already written
 * stay as context, so if the value then completes, the rest of it is still masked. A longer
 * held prefix stays until the next write proves it is not a secret, or drain()/end().
 */
export function createMaskedStream(
  table: () => MaskTable,
  maskOwn: (text: string) => string,
  target: Writable,
  onOutput: (last: number) => void,
): { stream: MaskedStream; wipe: () => void } {
  let pending = Buffer.alloc(0);
  let context = Buffer.alloc(0);
  let timer: NodeJS.Timeout | undefined;

  const step = (mode: Step): Buffer => {
    if (pending.length === 0) return pending;
    const { matcher, lengths, minHold, fragments } = table();
    const work = context.length > 0 ? Buffer.concat([context, pending]) : pending;
    const c = context.length;
    const { ranges, stripped, tail } = coverage(work, matcher, lengths, fragments);
    const end = mode === "final" ? work.length : cutPoint(work, c, mode, matcher, minHold, ranges, stripped, tail);
    const out = applyMask(work, ranges, c, end);
    const written = work.subarray(Math.max(0, end - CONTEXT_BYTES), end);
    context = Buffer.from(written);
    pending = Buffer.from(work.subarray(end));
    if (pending.length > 0 && mode === "write") schedule();
    return out;
  };

  const send = (out: Buffer, done?: () => void): void => {
    if (out.length === 0) {
      done?.();
      return;
    }
    onOutput(out[out.length - 1]!);
    target.write(out, () => done?.());
  };

  const schedule = (): void => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      // What stays held now is a long secret prefix: only more bytes or drain() settle it.
      send(step("timer"));
    }, FLUSH_DELAY_MS);
    timer.unref();
  };

  const flush = (): Buffer => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    return step("final");
  };

  const stream = new Writable({
    // Nothing is queued here: each write is masked and handed to the target at once, so
    // drain() never races writes still sitting in this stream's buffer.
    write(chunk: Buffer | string, encoding, done) {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk, encoding) : chunk;
      pending = pending.length > 0 ? Buffer.concat([pending, bytes]) : Buffer.from(bytes);
      send(step("write"));
      done();
    },
    final(done) {
      send(flush(), () => done());
    },
  }) as MaskedStream;
  // Composed text is masked on its own: what is held goes out first, and nothing of it stays
  // as context, so no value is matched across safebuild's words and the log around them.
  stream.say = (text, done) => {
    send(flush());
    context.fill(0);
    context = Buffer.alloc(0);
    send(Buffer.from(maskOwn(text), "utf8"), done);
  };
  stream.drain = () =>
    new Promise<void>((resolve) => {
      const out = flush();
      if (out.length > 0) send(out, resolve);
      else if (target.writableLength === 0 || target.destroyed) resolve();
      else target.write(Buffer.alloc(0), () => resolve());
    });
  // Held and context bytes may be parts of secrets: zeroed with the masker's own copies.
  const wipe = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    pending.fill(0);
    context.fill(0);
    pending = Buffer.alloc(0);
    context = Buffer.alloc(0);
  };
  return { stream, wipe };
}
