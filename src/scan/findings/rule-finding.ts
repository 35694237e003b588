import { createHash } from "node:crypto";

/** Characters a preview shows from each end of a rule-found value, at most. */
const PREVIEW_EDGE = 2;
/** Shorter values show nothing: two and two of a short password is most of it. */
const PREVIEW_MIN = 12;

/** `ab…yz`: the first and last 2 characters of a value found by a rule (printable ASCII only), or `…`. */
export function previewOf(value: Buffer): string {
  // a private key's body starts and ends with line breaks (or their JSON escapes)
  let from = 0;
  let to = value.length;
  const blank = (b: number): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
  while (from < to && blank(value[from]!)) from++;
  while (to > from && blank(value[to - 1]!)) to--;
  while (to - from >= 2 && value[to - 2] === 0x5c && (value[to - 1] === 0x6e || value[to - 1] === 0x72)) to -= 2;
  const secret = value.subarray(from, to);
  if (secret.length < PREVIEW_MIN) return "…";
  const show = (b: number): string => (b >= 0x21 && b <= 0x7e ? String.fromCharCode(b) : "?");
  const head = [...secret.subarray(0, PREVIEW_EDGE)].map(show).join("");
  const tail = [...secret.subarray(secret.length - PREVIEW_EDGE)].map(show).join("");
  return `${head}…${tail}`;
}

/**
 * `RULE:16 hex`: stable across scans and rebuilds that put the same file in the same place (no
 * layer digest in it), distinct for two matches in one file, and derived from no part of the value.
 */
export function ruleFingerprint(rule: string, where: string, path: string, offset: number): string {
  const hash = createHash("sha256").update([rule, where, path, String(offset)].join("\u0000")).digest("hex");
  return `${rule}:${hash.slice(0, 16)}`;
}
