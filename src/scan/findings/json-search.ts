import { inputError } from "../../errors.js";
import type { NeedleTable } from "./needles.js";

export type JsonSegment = string | number;

export interface JsonHit {
  readonly tag: number;
  /** Where in the document: the keys and indexes down to the string (or key) that matched. */
  readonly segments: readonly JsonSegment[];
  /** True when only the raw bytes matched (a JSON-escaped form no decoded string shows). */
  readonly raw: boolean;
}

const MAX_DEPTH = 64;

/**
 * Every string and key of a JSON document (decoded, so escapes hide nothing) and its raw bytes
 * (so JSON-escaped variants match), searched for every needle. A secret found in a decoded
 * string is not reported again for the raw bytes.
 */
export function searchJson(raw: Buffer, needles: NeedleTable, what: string): { value: unknown; hits: JsonHit[] } {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString("utf8"));
  } catch {
    throw inputError(`${what} is not valid JSON`);
  }
  const hits: JsonHit[] = [];
  const secretsFound = new Set<string>();
  const search = (text: string, segments: readonly JsonSegment[]): void => {
    if (Buffer.byteLength(text, "utf8") < 8) return;
    needles.matcher.scan(Buffer.from(text, "utf8"), (tag) => {
      hits.push({ tag, segments, raw: false });
      const variant = needles.variants[tag];
      if (variant) secretsFound.add(variant.secretId);
    });
  };
  const walk = (node: unknown, segments: JsonSegment[]): void => {
    if (segments.length > MAX_DEPTH) throw inputError(`${what} is nested too deeply`);
    if (typeof node === "string") search(node, segments);
    else if (Array.isArray(node)) node.forEach((item, i) => walk(item, [...segments, i]));
    else if (node !== null && typeof node === "object") {
      for (const [key, item] of Object.entries(node)) {
        search(key, [...segments, key]);
        walk(item, [...segments, key]);
      }
    }
  };
  walk(value, []);
  needles.matcher.scan(raw, (tag) => {
    // a rule reads JSON escapes in place (private-key's \n), so its decoded hit is the one to keep
    if (needles.ruleMatch(tag) !== undefined && hits.some((h) => needles.ruleMatch(h.tag) !== undefined)) return;
    const variant = needles.variants[tag];
    if (variant ? !secretsFound.has(variant.secretId) : needles.ruleMatch(tag) !== undefined) hits.push({ tag, segments: [], raw: true });
  });
  return { value, hits };
}

/** RFC 6901: `/predicate/invocation/parameters/args/build-arg:TOKEN`, `~` and `/` escaped. */
export const jsonPointer = (segments: readonly JsonSegment[]): string =>
  segments.map((s) => `/${String(s).replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");
