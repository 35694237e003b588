import type { Needle } from "../../src/match/matcher.js";

/** The reference: every occurrence of every needle, by Buffer.indexOf, sorted. */
export function naiveMatches(hay: Buffer, needles: readonly Needle[]): string[] {
  const out: string[] = [];
  for (const n of needles) {
    if (n.bytes.length === 0) continue;
    for (let at = hay.indexOf(n.bytes); at !== -1; at = hay.indexOf(n.bytes, at + 1)) out.push(`${n.tag}@${at}`);
  }
  return out.sort();
}
