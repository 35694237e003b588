import type { RangeMatcher } from "../match/matcher.js";
import { isStringKind, stripControls, type Stripped } from "./ansi.js";
import type { FragmentTail, Fragments } from "./fragments.js";

const ESC = 0x1b;
const CR = 0x0d;
const STAR = 0x2a;

/** Half-open byte ranges [start, end) of the source to replace, sorted and disjoint. */
export type Ranges = [number, number][];

/** Where known values lie in a source, and the text a terminal shows once they are masked. */
export interface Coverage {
  readonly ranges: Ranges;
  readonly stripped: Stripped;
  /** Where a fragment of a value may be starting at the end of the source (fragments.ts). */
  readonly tail: FragmentTail;
}

/**
 * Where known values lie in `source`: matched as written, and as the terminal shows it (escape
 * sequences and carriage returns removed), a hit there covering the original span with the
 * sequences inside it. Overlapping and touching hits merge, so one `***` stands for a run of
 * secrets and no fragment of either survives between two masks.
 */
export function coverage(source: Buffer, matcher: RangeMatcher, lengths: readonly number[], fragments?: Fragments): Coverage {
  const hits: Ranges = [];
  matcher.scan(source, (tag, start, end) => hits.push([start, end ?? start + lengths[tag]!]));
  const view = shownOnceMasked(source, hits);
  const stripped = stripControls(view);
  const { map } = stripped;
  if (map) {
    matcher.scan(stripped.text, (tag, start, end) => hits.push([map[start]!, map[(end ?? start + lengths[tag]!) - 1]! + 1]));
  }
  // Pieces of a value are read as the terminal shows them, like the values themselves.
  const at = (i: number): number => (map === undefined ? i : i === stripped.text.length ? source.length : map[i]!);
  const shownTail = fragments?.scan(stripped.text, (start, end) => hits.push([at(start), at(end - 1) + 1]));
  // A terminal hides a string sequence's text (a title, a device control string); a log viewer
  // that ignores the sequence shows it: values and pieces there are masked too.
  if (map && hasStringSequence(view)) {
    const shown = stripControls(view, true);
    const atShown = (i: number): number => (i === shown.text.length ? source.length : shown.map![i]!);
    matcher.scan(shown.text, (tag, start, end) => hits.push([atShown(start), atShown((end ?? start + lengths[tag]!) - 1) + 1]));
    fragments?.scan(shown.text, (start, end) => hits.push([atShown(start), atShown(end - 1) + 1]));
  }
  const tail = shownTail === undefined ? { start: source.length, length: 0 } : { start: at(shownTail.start), length: shownTail.length };
  return { ranges: merge(hits), stripped, tail };
}

/**
 * The view is read as the output will be, every raw hit masked: a value holding an escape or a
 * carriage return swallows, unmasked, the bytes after it into a sequence the terminal never draws
 * once the mask replaces it; and a value right after an escape's first bytes (`ESC P`, `ESC [`)
 * is part of that sequence until the mask ends it there, so the bytes after it show.
 */
function shownOnceMasked(source: Buffer, hits: Ranges): Buffer {
  if (hits.length === 0 || (source.indexOf(ESC) === -1 && source.indexOf(CR) === -1)) return source;
  const view = Buffer.from(source);
  for (const [s, e] of hits) view.fill(STAR, s, e);
  return view;
}

/** Whether an OSC, DCS, SOS, PM or APC sequence opens in `view`. */
function hasStringSequence(view: Buffer): boolean {
  for (let i = view.indexOf(ESC); i !== -1 && i + 1 < view.length; i = view.indexOf(ESC, i + 1)) {
    if (isStringKind(view[i + 1]!)) return true;
  }
  return false;
}

function merge(hits: Ranges): Ranges {
  if (hits.length <= 1) return hits;
  hits.sort((a, b) => a[0] - b[0]);
  const merged: Ranges = [hits[0]!];
  for (const hit of hits) {
    const last = merged[merged.length - 1]!;
    if (hit[0] <= last[1]) last[1] = Math.max(last[1], hit[1]);
    else merged.push(hit);
  }
  return merged;
}

const MASK = Buffer.from("***");

/** `source[from, to)` with every range (clipped to it) replaced by `***`. */
export function applyMask(source: Buffer, ranges: Ranges, from: number, to: number): Buffer {
  const parts: Buffer[] = [];
  let at = from;
  for (const [start, end] of ranges) {
    const s = Math.max(start, from);
    const e = Math.min(end, to);
    if (s >= e) continue;
    if (s > at) parts.push(source.subarray(at, s));
    parts.push(MASK);
    at = e;
  }
  if (parts.length === 0) return source.subarray(from, to);
  if (at < to) parts.push(source.subarray(at, to));
  return Buffer.concat(parts);
}
