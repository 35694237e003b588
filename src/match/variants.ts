import { ENCODED_FORMS, ENCODERS } from "./encoders.js";
import { analyzeStructured } from "./structured/analyze.js";
import { subValuesOf } from "./sub-values.js";
import type { Encoding, Variant } from "./variant.js";

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
 * headers (`[default]` in ~/.aws/credentials), and settings whose value is a flag or a small
 * number (`always-auth=true`). They occur in countless images, so as needles they would fail
 * clean builds; the lines around them carry the secret and are still searched.
 */
const STRUCTURAL_LINE = /^(?:-----(?:BEGIN|END) [A-Z0-9 ]+-----|\[[^\]\r\n]*\]|[\w.-]+\s*[=:]\s*(?:true|false|yes|no|on|off|\d{1,6}))\s*$/i;

function linesOf(value: Buffer): Buffer[] {
  if (!value.includes(0x0a)) return [];
  const out: Buffer[] = [];
  let from = 0;
  for (let nl = value.indexOf(0x0a); from <= value.length; nl = value.indexOf(0x0a, from)) {
    const end = nl === -1 ? value.length : nl;
    const line = end > from && value[end - 1] === 0x0d ? value.subarray(from, end - 1) : value.subarray(from, end);
    if (line.length >= MIN_LINE_BYTES && !STRUCTURAL_LINE.test(line.toString("latin1"))) out.push(line);
    if (nl === -1) break;
    from = nl + 1;
  }
  return out;
}

/** Collects variants, keeping the first of identical byte sequences (the most specific name). */
class VariantSet {
  readonly list: Variant[] = [];
  readonly #byLength = new Map<number, Buffer[]>();

  constructor(private readonly secretId: string) {}

  add(encoding: Encoding, bytes: Buffer): void {
    if (bytes.length === 0) return;
    const same = this.#byLength.get(bytes.length);
    if (same?.some((b) => b.equals(bytes))) return;
    // A private copy: callers wipe variants without touching the secret, and vice versa.
    const copy = Buffer.alloc(bytes.length);
    bytes.copy(copy);
    if (same) same.push(copy);
    else this.#byLength.set(bytes.length, [copy]);
    this.list.push({ secretId: this.secretId, encoding, bytes: copy });
  }

  addEncoded(value: Buffer): void {
    for (const form of ENCODED_FORMS) for (const bytes of ENCODERS[form](value)) this.add(form, bytes);
  }
}

/**
 * Every byte sequence that betrays `value`: the value itself, without its trailing newline,
 * each line of a multi-line value, base64 (standard and URL-safe, each alignment), hex,
 * percent-encoding, JSON escaping, and the same for each credential inside a structured
 * secret (.npmrc, .env, JSON, URL, PEM). The masker and the scanner share this one list.
 *
 * Variants are fresh buffers the caller owns (see `wipeVariants`); short ones are included,
 * each consumer applies its own minimum length.
 */
export function variantsOf(secretId: string, value: Buffer): Variant[] {
  const set = new VariantSet(secretId);
  const trimmed = withoutTrailingNewline(value);
  set.add("raw", value);
  if (trimmed) set.add("raw", trimmed);
  // A recognised format (.npmrc, .env, JSON, …) is searched for its credentials and their
  // lines; its boilerplate lines occur in clean images. Anything else: every line.
  const structured = analyzeStructured(trimmed ?? value);
  for (const line of structured?.lines ?? linesOf(trimmed ?? value)) set.add("line", line);
  if (trimmed) set.addEncoded(trimmed);
  set.addEncoded(value);
  for (const sub of structured?.subValues ?? subValuesOf(trimmed ?? value)) {
    set.add(sub.encoding, sub.bytes);
    // A PEM body is base64 already; its DER bytes are found raw, or as that same body.
    if (sub.encoding === "field") set.addEncoded(sub.bytes);
    sub.bytes.fill(0);
  }
  return set.list;
}

/** Zero-fills every variant's bytes; the variants must not be used afterwards. */
export function wipeVariants(variants: readonly Variant[]): void {
  for (const v of variants) v.bytes.fill(0);
}
