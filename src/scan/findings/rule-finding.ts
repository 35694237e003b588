import { createHash } from "node:crypto";

/** Characters a preview shows from each end of a rule-found value, at most. */
const PREVIEW_EDGE = 2;
/** Shorter values show nothing: two and two of a short password is most of it. */
const PREVIEW_MIN = 12;

/** `ab…yz`: the first and last 2 characters of a value found by a rule (printable ASCII only), or `…`. */
export function previewOf(value: Buffer): string {
  // a private key's body starts and ends with line breaks, or their escapes: JSON's `\n` (`\\n`
  // nested), XML's `&#10;`
  let from = 0;
  let to = value.length;
  for (let at = -1; at !== from; ) {
    at = from;
    from = pastBreak(value, from, to);
  }
  for (let at = -1; at !== to; ) {
    at = to;
    to = beforeBreak(value, from, to);
  }
  const secret = value.subarray(from, to);
  if (secret.length < PREVIEW_MIN) return "…";
  const show = (b: number): string => (b >= 0x21 && b <= 0x7e ? String.fromCharCode(b) : "?");
  const head = [...secret.subarray(0, PREVIEW_EDGE)].map(show).join("");
  const tail = [...secret.subarray(secret.length - PREVIEW_EDGE)].map(show).join("");
  return `${head}…${tail}`;
}

const blank = (b: number): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
const escaped = (b: number): boolean => b === 0x6e || b === 0x72 || b === 0x74;
/** An XML character reference's length at most (`&#x0D;`). */
const MAX_REFERENCE = 7;

/** Where `value[from, to)` starts once a leading blank, `\\n` escape or `&#10;` reference is skipped. */
function pastBreak(value: Buffer, from: number, to: number): number {
  if (from >= to) return from;
  if (blank(value[from]!)) return from + 1;
  if (value[from] === 0x5c) {
    let at = from;
    while (at < to && value[at] === 0x5c) at++;
    return at < to && escaped(value[at]!) ? at + 1 : from;
  }
  if (value[from] === 0x26 && value[from + 1] === 0x23) {
    const end = value.indexOf(0x3b, from);
    return end !== -1 && end < to && end - from < MAX_REFERENCE ? end + 1 : from;
  }
  return from;
}

/** Where `value[from, to)` ends once a trailing blank, `\\n` escape or `&#10;` reference is dropped. */
function beforeBreak(value: Buffer, from: number, to: number): number {
  if (to <= from) return to;
  const last = value[to - 1]!;
  if (blank(last)) return to - 1;
  if (escaped(last) && to - 2 >= from && value[to - 2] === 0x5c) {
    let at = to - 1;
    while (at > from && value[at - 1] === 0x5c) at--;
    return at;
  }
  if (last === 0x3b) {
    const start = value.lastIndexOf("&#", to - 1);
    return start !== -1 && start >= from && to - start <= MAX_REFERENCE ? start : to;
  }
  return to;
}

/**
 * `RULE:16 hex`: stable across scans and rebuilds that put the same file in the same place (no
 * layer digest in it), distinct for two matches in one file, and derived from no part of the value.
 */
export function ruleFingerprint(rule: string, where: string, path: string, offset: number): string {
  const hash = createHash("sha256").update([rule, where, path, String(offset)].join("\u0000")).digest("hex");
  return `${rule}:${hash.slice(0, 16)}`;
}
