import type { NeedleTable } from "./needles.js";

const MASK = "***";

/**
 * A path or history line with every secret variant in it replaced by `***`, so a finding can
 * name a file called after a secret without carrying the secret (CONTRACT: no field holds a value).
 */
export function censor(text: string, needles: NeedleTable): string {
  if (Buffer.byteLength(text, "utf8") < 8) return text;
  const bytes = Buffer.from(text, "utf8");
  const ranges: [number, number][] = [];
  needles.matcher.scan(bytes, (tag, start, end) => ranges.push([start, end ?? start + (needles.lengths[tag] ?? 0)]));
  if (ranges.length === 0) return text;
  ranges.sort((a, b) => a[0] - b[0]);
  const parts: Buffer[] = [];
  let at = 0;
  for (const [start, end] of ranges) {
    if (end <= at) continue;
    if (start > at) parts.push(bytes.subarray(at, start));
    if (start >= at) parts.push(Buffer.from(MASK));
    at = end;
  }
  parts.push(bytes.subarray(at));
  return Buffer.concat(parts).toString("utf8");
}
