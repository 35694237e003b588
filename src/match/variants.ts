import { isUtf8 } from "node:buffer";
import { ENCODED_FORMS, ENCODERS, base32Forms, base64TwiceForms, jsonBase64Forms } from "./encoders.js";
import { MIN_DECODED_BYTES, decodedOf } from "./decoded.js";
import { KEY_NUMBER_LAYOUTS, hexDumpForms, randomBytesLooking } from "./hex-dump.js";
import { analyzeStructured } from "./structured/analyze.js";
import { subValuesOf } from "./sub-values.js";
import type { Encoding, Variant } from "./variant.js";

/** Longer one-line values (a certificate on one line) are not base64'd twice or base32'd by builds. */
const MAX_REENCODED_BYTES = 1024;

/** Lines shorter than this are too common (`}`, `-----END`) to stand for a secret. */
const MIN_LINE_BYTES = 8;

function withoutTrailingNewline(value: Buffer): Buffer | undefined {
  if (value.length > 0 && value[value.length - 1] === 0x0a) {
    const cr = value.length > 1 && value[value.length - 2] === 0x0d;
    return value.subarray(0, value.length - (cr ? 2 : 1));
  }
  return undefined;
}

/**
 * Lines that are the shape of a secret file, not its substance: PEM armour, INI section
 * headers (`[default]` in ~/.aws/credentials), settings whose value is a flag or a small
 * number (`always-auth=true`), and a script's `#!/bin/bash`, `set -euo pipefail` and `exec "$@"`. They occur in countless images, so as needles they would fail
 * clean builds; the lines around them carry the secret and are still searched.
 */
const STRUCTURAL_LINE = /^(?:-----(?:BEGIN|END) [A-Z0-9 ]+-----|\[[^\]\r\n]*\]|[\w.-]+\s*[=:]\s*(?:true|false|yes|no|on|off|\d{1,6})|#!\s*\/[\w./-]{1,64}(?:\s+[\w.-]{1,32}){0,2}|set(?:\s+[-+][a-zA-Z]{1,8}(?:\s+pipefail)?){1,4}|exec\s+"\$@")\s*$/i;

/**
 * Markup with no room for a secret: an XML declaration, a DOCTYPE without internal subset, a
 * tag without attributes (`<servers>`, `</settings>`, `<br/>`). An attribute may hold one
 * (`<add key="ApiKey" value="…"/>`), so a tag with attributes is no markup here.
 */
const MARKUP = /<\?xml(?:\s+(?:version|encoding|standalone)\s*=\s*(?:"[^"<>]{0,32}"|'[^'<>]{0,32}'))*\s*\?>|<!DOCTYPE\s[^<>[\]]{0,512}>|<\/?[A-Za-z_][\w.:-]{0,127}\s*\/?>/gi;
/** A comment alone on its line: XML, `#`, `//`, `;`, `--`. */
const COMMENT = /^(?:<!--([^]*?)-->|(?:#|\/\/|;|--)([^]*))$/;
/** The plain-word policy (docs/audit-structured.md): letters up to 11, a number or version; punctuation around. */
const PLAIN_WORD = /^[("'`[]*(?:[A-Za-z]{1,11}|\d{1,6}(?:\.\d{1,6}){0,3})[)"'`\].,:;!?]*$/;

/**
 * A line that is markup alone, or a comment of plain words (`<!-- Maven settings -->`,
 * `# API credentials`): every file of its kind holds such lines, and none holds a secret. A
 * comment with anything else in it (`# old token: 3xK…`, a URL, a long word) is searched.
 */
export function isMarkupLine(line: string): boolean {
  const rest = line.replace(MARKUP, " ").trim();
  if (rest.length === 0) return true;
  const comment = COMMENT.exec(rest);
  if (comment === null) return false;
  return (comment[1] ?? comment[2] ?? "").split(/\s+/).every((word) => word.length === 0 || PLAIN_WORD.test(word));
}

function linesOf(value: Buffer): Buffer[] {
  if (!value.includes(0x0a)) return [];
  const out: Buffer[] = [];
  let from = 0;
  for (let nl = value.indexOf(0x0a); from <= value.length; nl = value.indexOf(0x0a, from)) {
    const end = nl === -1 ? value.length : nl;
    const line = end > from && value[end - 1] === 0x0d ? value.subarray(from, end - 1) : value.subarray(from, end);
    const text = line.toString("latin1");
    if (line.length >= MIN_LINE_BYTES && !STRUCTURAL_LINE.test(text) && !isMarkupLine(text)) out.push(line);
    if (nl === -1) break;
    from = nl + 1;
  }
  return out;
}

const isBlank = (b: number | undefined): boolean => b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0a;
const bomAt = (v: Buffer, i: number): boolean => v[i] === 0xef && v[i + 1] === 0xbb && v[i + 2] === 0xbf;

/**
 * The value without the blanks around it (space, tab, CR, LF, a UTF-8 BOM), as a build that
 * trims what it reads (`read -r`, `.strip()`, `xargs`) writes it; undefined when there are none.
 */
export function withoutBlanks(value: Buffer): Buffer | undefined {
  let start = 0;
  let end = value.length;
  for (;;) {
    if (isBlank(value[start])) start++;
    else if (bomAt(value, start)) start += 3;
    else break;
  }
  while (end > start && isBlank(value[end - 1])) end--;
  return start === 0 && end === value.length ? undefined : value.subarray(start, end);
}

/** A leading UTF-8 byte-order mark: editors on Windows write it, the value is what follows. */
function withoutBom(value: Buffer): Buffer | undefined {
  return value.length > 3 && value[0] === 0xef && value[1] === 0xbb && value[2] === 0xbf ? value.subarray(3) : undefined;
}

/**
 * UTF-16LE and BE of a UTF-8 text; undefined for bytes that are not UTF-8 text. Both always:
 * for text below U+0100 the LE bytes shifted by one are the BE bytes only when a 00 byte
 * follows the value (not at the end of a file, nor before a character from U+0100 on).
 */
function utf16Of(text: Buffer): { le: Buffer; be: Buffer } | undefined {
  if (!isUtf8(text)) return undefined;
  const le = Buffer.from(text.toString("utf8"), "utf16le");
  return { le, be: Buffer.from(le).swap16() };
}

/** FNV-1a of the bytes and their length: buckets for telling variants apart (a value of 20,000 short lines made 20,000 of one length). */
function bucketOf(bytes: Buffer): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return `${bytes.length}:${hash >>> 0}`;
}

/** Collects variants, keeping the first of identical byte sequences (the most specific name). */
class VariantSet {
  readonly list: Variant[] = [];
  readonly #buckets = new Map<string, Buffer[]>();

  constructor(private readonly secretId: string) {}

  add(encoding: Encoding, bytes: Buffer): void {
    if (bytes.length === 0) return;
    const bucket = bucketOf(bytes);
    const same = this.#buckets.get(bucket);
    if (same?.some((b) => b.equals(bytes))) return;
    // A private copy: callers wipe variants without touching the secret, and vice versa.
    const copy = Buffer.alloc(bytes.length);
    bytes.copy(copy);
    if (same) same.push(copy);
    else this.#buckets.set(bucket, [copy]);
    this.list.push({ secretId: this.secretId, encoding, bytes: copy });
  }

  /** A value found whole: its encodings, its UTF-16 forms and, when it is base64 or hex itself, what it decodes to. */
  addForms(value: Buffer): void {
    this.addEncoded(value);
    this.addReencoded(value);
    this.addUtf16(value);
    this.addDecoded(value);
  }

  /** Encodings of a one-line value that a build applies on purpose, not by format: base64 twice, base32. */
  addReencoded(value: Buffer): void {
    if (value.includes(0x0a) || value.length > MAX_REENCODED_BYTES) return;
    for (const bytes of base64TwiceForms(value)) this.add("base64-twice", bytes);
    for (const bytes of base32Forms(value)) this.add("base32", bytes);
  }

  addEncoded(value: Buffer): void {
    for (const form of ENCODED_FORMS) for (const bytes of ENCODERS[form](value)) this.add(form, bytes);
  }

  /** UTF-16 of a text value, and base64 of its LE form (`pwsh -EncodedCommand`). */
  addUtf16(text: Buffer): void {
    const forms = utf16Of(text);
    if (forms === undefined) return;
    this.add("utf16le", forms.le);
    this.add("utf16be", forms.be);
    // inside a longer command, at each alignment (the whole-value forms start with the first)
    for (const bytes of ENCODERS.base64(forms.le).slice(2)) this.add("base64-utf16le", bytes);
    forms.le.fill(0);
    forms.be.fill(0);
  }

  /** A value that is base64 or hex itself: what it decodes to may be written by the build. */
  addDecoded(value: Buffer): void {
    const decoded = decodedOf(value);
    if (decoded === undefined) return;
    this.add(decoded.encoding, decoded.bytes);
    const trimmed = withoutTrailingNewline(decoded.bytes);
    if (trimmed) this.add(decoded.encoding, trimmed);
    // re-encoded the other way: a base64 key written as hex, a hex key as base64 (either alphabet)
    if (decoded.bytes.length >= MIN_DECODED_BYTES) this.addDecodedReencoded(decoded.bytes);
    decoded.bytes.fill(0);
  }

  /**
   * A private key's number: found as bytes (a DER file), in base64 of either alphabet at each
   * alignment (a converted key's PEM or OpenSSH body, a JWK member), hex, and hex dumps
   * (`openssl pkey -text`'s colon hex, `xxd -i` arrays, `\x` escapes).
   */
  addKeyMaterial(number: Buffer): void {
    this.add("key-material", number);
    for (const bytes of ENCODERS.base64(number)) this.add("key-material-base64", bytes);
    for (const bytes of ENCODERS.base64url(number)) this.add("key-material-base64url", bytes);
    for (const bytes of ENCODERS.hex(number)) this.add("key-material-hex", bytes);
    for (const bytes of hexDumpForms(number, randomBytesLooking, KEY_NUMBER_LAYOUTS)) this.add("key-material-hex-dump", bytes);
  }

  private addDecodedReencoded(decoded: Buffer): void {
    for (const bytes of ENCODERS.hex(decoded)) this.add("decoded-hex", bytes);
    // whole forms only (padded and not): the aligned pieces would cost needles for a rarer case
    for (const bytes of [...ENCODERS.base64(decoded).slice(0, 2), ...ENCODERS.base64url(decoded).slice(0, 2)]) this.add("decoded-base64", bytes);
  }
}

/**
 * Every byte sequence that betrays `value`: the value itself, without its trailing newline,
 * each line of a multi-line value, base64 (standard and URL-safe, each alignment), hex,
 * percent-encoding, JSON escaping, and the same for each credential inside a structured
 * secret (.npmrc, .env, JSON, URL, PEM); a private key's private numbers in the forms a
 * converted key holds them. The masker and the scanner share this one list.
 *
 * Variants are fresh buffers the caller owns (see `wipeVariants`); short ones are included,
 * each consumer applies its own minimum length.
 */
export function variantsOf(secretId: string, given: Buffer): Variant[] {
  const set = new VariantSet(secretId);
  set.add("raw", given);
  // A leading BOM goes like the trailing newline: everything below derives from the rest.
  const value = withoutBom(given) ?? given;
  const trimmed = withoutTrailingNewline(value);
  set.add("raw", value);
  if (trimmed) set.add("raw", trimmed);
  // A recognised format (.npmrc, .env, JSON, …) is searched for its credentials and their
  // lines; its boilerplate lines occur in clean images. Anything else: every line.
  const structured = analyzeStructured(trimmed ?? value);
  for (const line of structured?.lines ?? linesOf(trimmed ?? value)) set.add("line", line);
  if (trimmed) set.addEncoded(trimmed);
  set.addEncoded(value);
  set.addReencoded(trimmed ?? value);
  set.addUtf16(trimmed ?? value);
  set.addDecoded(trimmed ?? value);
  // a one-line value whole; a multi-line or structured one by its credentials (below): pieces of
  // its boilerplate (`IN RSA P`, `//regist`) would find the same words in other files' dumps
  if (structured === undefined && !(trimmed ?? value).includes(0x0a)) for (const bytes of hexDumpForms(trimmed ?? value)) set.add("hex-dump", bytes);
  // ` TOKEN\n`, `\tTOKEN \n`: the build trims it, the image holds TOKEN; long enough to stand alone
  const bare = withoutBlanks(trimmed ?? value);
  if (bare !== undefined && bare.length >= MIN_LINE_BYTES) {
    set.add("raw", bare);
    set.addForms(bare);
    if (structured === undefined && !bare.includes(0x0a)) for (const bytes of hexDumpForms(bare)) set.add("hex-dump", bytes);
  }
  for (const sub of structured?.subValues ?? subValuesOf(trimmed ?? value)) {
    if (sub.encoding === "key-material") set.addKeyMaterial(sub.bytes);
    else set.add(sub.encoding, sub.bytes);
    if (sub.encoding === "field" || sub.encoding === "pem") for (const bytes of hexDumpForms(sub.bytes)) set.add("hex-dump", bytes);
    // A PEM body is base64 already; its DER bytes are found raw, or as that same body.
    if (sub.encoding === "field") set.addForms(sub.bytes);
    if (sub.encoding === "field") for (const bytes of jsonBase64Forms(sub.bytes)) set.add("json-base64", bytes);
    sub.bytes.fill(0);
  }
  return set.list;
}

/** Zero-fills every variant's bytes; the variants must not be used afterwards. */
export function wipeVariants(variants: readonly Variant[]): void {
  for (const v of variants) v.bytes.fill(0);
}
