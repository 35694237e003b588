import type { Variant, WrappableEncoding, WrappedEncoding } from "./variant.js";

/**
 * Base64 and hex split over lines: `base64` wraps at 76, `openssl base64` and PEM at 64,
 * YAML and JSON indent the pieces or write them with `\n` escapes. The hot matcher looks for
 * short fragments of each encoded form, each short enough to lie inside one line of any
 * wrap width from MIN_WRAP_WIDTH on; a fragment hit is only a candidate, confirmed by reading
 * around it for the whole form with the line breaks skipped.
 */
export const FRAGMENT_BYTES = 16;
/** The narrowest wrap width whose every occurrence is found (`base64 -w 20` is; `-w 16` may not be). */
export const MIN_WRAP_WIDTH = 20;
/**
 * Shorter encoded forms are not searched wrapped (a value under 30 bytes as base64, under 20
 * as hex): each form costs up to five needles, and a short form is rarely split.
 */
export const MIN_WRAPPED_BYTES = 2 * MIN_WRAP_WIDTH;
/** Whitespace allowed between two characters (a line break and its indentation). */
export const MAX_GAP = 64;
/**
 * Fragments come from the first PREFIX characters of a form: however those are split, one
 * piece is at least MIN_WRAP_WIDTH long (a full line) or half of them, and holds a fragment.
 */
const PREFIX = 2 * MIN_WRAP_WIDTH;
/** How far before a fragment its form can start: the prefix with a gap between every two characters. */
export const MAX_LOOKBEHIND = PREFIX * (MAX_GAP + 1);

/**
 * Each form costs the hot matcher up to five needles, so only the forms tools wrap: base64
 * (`base64`, `openssl`, MIME, PEM), hex (`xxd -p`, `xxd -p -u`), PEM bodies, values that are
 * base64 or hex themselves, and such a value's bytes re-encoded (`base64 -d | xxd -p`), a
 * private key's numbers in base64 (inside a converted key's PEM or OpenSSH body) and hex. Not
 * lines (a PEM's body is one form already), not base64 of UTF-16LE (`-EncodedCommand` is one line).
 */
const WRAPPABLE: ReadonlySet<string> = new Set<WrappableEncoding>(["raw", "field", "base64", "base64url", "hex", "pem", "decoded-hex", "decoded-base64", "key-material-base64", "key-material-hex"]);
const ALPHABET = new Uint8Array(256);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-") ALPHABET[c.charCodeAt(0)] = 1;
/**
 * A value itself (raw, field) may hold any printable character, spaces too: a JWT folded in a
 * JAR manifest or LDIF, a passphrase PyYAML (Ansible's `to_nice_yaml`) or an RFC 822 header
 * folds at a space, the break and the next line's indentation standing between two words.
 */
const TOKEN = new Uint8Array(256);
for (let c = 0x20; c < 0x7f; c++) TOKEN[c] = 1;
const AS_TYPED: ReadonlySet<string> = new Set(["raw", "field"]);

const SPACE = new Uint8Array(256);
for (const c of " \t\r\n") SPACE[c.charCodeAt(0)] = 1;
const BACKSLASH = 0x5c;
const EQUALS = 0x3d;
/**
 * After a backslash: `\n`, `\r`, `\t` as JSON and shell strings escape line breaks, or a line
 * break itself (a `.properties` or YAML line continued).
 */
const ESCAPED = new Uint8Array(256);
for (const c of "nrt\r\n") ESCAPED[c.charCodeAt(0)] = 1;
const NEWLINE = new Uint8Array(256);
NEWLINE[0x0a] = NEWLINE[0x0d] = 1;
/** A break inside a form: after a backslash, or quoted-printable's soft break (`=` at a line's end). */
const enum Escape {
  None = 0,
  Backslash = 1,
  Soft = 2,
}

/** The variants that may be wrapped: long enough, and written in the base64/hex alphabets only. */
export function wrappedForms(variants: readonly Variant[]): Variant[] {
  const out: Variant[] = [];
  const candidates = variants
    .filter((v) => WRAPPABLE.has(v.encoding) && v.bytes.length >= MIN_WRAPPED_BYTES && v.bytes.every((b) => (AS_TYPED.has(v.encoding) ? TOKEN : ALPHABET)[b] === 1))
    .sort((a, b) => a.bytes.length - b.bytes.length);
  for (const v of candidates) {
    // A form that starts with a shorter one (base64 padded, or whole, after the aligned part)
    // is found through it: wrapped, the shorter one's confirmation stands for both.
    if (out.some((w) => w.secretId === v.secretId && v.bytes.subarray(0, w.bytes.length).equals(w.bytes))) continue;
    // The parent's own buffer: wiping the variants wipes the forms and their fragments.
    out.push({ secretId: v.secretId, encoding: `${v.encoding as WrappableEncoding}-wrapped` satisfies WrappedEncoding, bytes: v.bytes });
  }
  return out;
}

/** Where in its form each fragment starts: every `step` characters of the prefix. */
export function fragmentStarts(length: number): number[] {
  const prefix = Math.min(length, PREFIX);
  // the longest piece of the prefix, however wrapped: a full line, or half of the prefix
  const piece = Math.min(MIN_WRAP_WIDTH, Math.floor(prefix / 2));
  const step = Math.max(1, piece - FRAGMENT_BYTES + 1);
  const out: number[] = [];
  for (let at = 0; at + FRAGMENT_BYTES <= prefix; at += step) out.push(at);
  return out;
}

/** Reads the byte at an absolute offset, or -1 where nothing is held. */
export type ByteAt = (offset: number) => number;

/**
 * Matches form[0, pos) backwards, ending just before `offset`, skipping whitespace.
 * Returns the offset of form[0] and whether anything was skipped, or undefined.
 */
export function matchBefore(at: ByteAt, offset: number, form: Buffer, pos: number): { start: number; spaced: boolean } | undefined {
  let k = pos - 1;
  let o = offset - 1;
  let gap = 0;
  let spaced = false;
  while (k >= 0) {
    const b = at(o);
    if (b < 0) return undefined;
    if (ESCAPED[b] === 1 && at(o - 1) === BACKSLASH) {
      gap += 2;
      o -= 2;
    } else if (NEWLINE[b] === 1 && at(o - 1) === EQUALS && form[k] !== EQUALS) {
      gap += 2;
      o -= 2;
    } else if (b === form[k]) {
      k--;
      o--;
      gap = 0;
      continue;
    } else if (SPACE[b] === 1) {
      gap += 1;
      o -= 1;
    } else {
      return undefined;
    }
    spaced = true;
    if (gap > MAX_GAP) return undefined;
  }
  return { start: o + 1, spaced };
}

/** A forward match in progress: form[next..] is still to come, from absolute offset `offset`. */
export interface Forward {
  readonly form: number;
  readonly start: number;
  next: number;
  offset: number;
  gap: number;
  escape: Escape;
  spaced: boolean;
}

/**
 * Feeds bytes to a forward match until the form is complete ("done"), a byte rules it out
 * ("failed") or the bytes run out ("more"). `at` must hold `f.offset` onwards as far as it goes.
 */
export function matchAfter(at: ByteAt, f: Forward, form: Buffer): "done" | "failed" | "more" {
  while (f.next < form.length) {
    const b = at(f.offset);
    if (b < 0) return "more";
    f.offset++;
    if (f.escape !== Escape.None) {
      if ((f.escape === Escape.Backslash ? ESCAPED : NEWLINE)[b] !== 1) return "failed";
      f.escape = Escape.None;
    } else if (b === form[f.next]) {
      f.next++;
      f.gap = 0;
      continue;
    } else if (b === BACKSLASH) {
      f.escape = Escape.Backslash;
    } else if (b === EQUALS) {
      f.escape = Escape.Soft;
    } else if (SPACE[b] !== 1) {
      return "failed";
    }
    f.gap += 1;
    f.spaced = true;
    if (f.gap > MAX_GAP) return "failed";
  }
  return "done";
}
