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
/**
 * The `NAME=value` lines a string at `segments` stands for, for the settings rules (an `Env`
 * entry, a history entry's assignments), or null: most strings.
 */
export type SettingsOf = (segments: readonly JsonSegment[], text: string) => string | null;

export function searchJson(raw: Buffer, needles: NeedleTable, what: string, settingsOf?: SettingsOf): { value: unknown; hits: JsonHit[] } {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString("utf8"));
  } catch {
    throw inputError(`${what} is not valid JSON`);
  }
  const hits: JsonHit[] = [];
  const secretsFound = new Set<string>();
  /** Searches one string; true when a rule matched in it. */
  const search = (text: string, segments: readonly JsonSegment[]): boolean => {
    if (Buffer.byteLength(text, "utf8") < 8) return false;
    let ruled = false;
    needles.matcher.scan(Buffer.from(text, "utf8"), (tag) => {
      hits.push({ tag, segments, raw: false });
      const variant = needles.variants[tag];
      if (variant) secretsFound.add(variant.secretId);
      else if (needles.ruleMatch(tag) !== undefined) ruled = true;
    });
    return ruled;
  };
  const settings = (text: string, segments: readonly JsonSegment[]): void => {
    const lines = settingsOf?.(segments, text);
    if (lines === null || lines === undefined) return;
    const bytes = Buffer.from(lines, "utf8");
    needles.settingSearch(bytes, (tag) => void hits.push({ tag, segments, raw: false }));
    bytes.fill(0);
  };
  const walk = (node: unknown, segments: JsonSegment[]): void => {
    if (segments.length > MAX_DEPTH) throw inputError(`${what} is nested too deeply`);
    // a value a token rule already named is that rule's finding: one finding for one value
    if (typeof node === "string") {
      if (!search(node, segments)) settings(node, segments);
    }
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
