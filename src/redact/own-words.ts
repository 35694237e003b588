/**
 * safebuild's own words: the fixed parts of the messages and reports it composes. In composed
 * text the masker leaves a hit alone when it lies wholly inside one of them, so a secret whose
 * value is a common word ("layer", "than") does not garble safebuild's sentences, while the data
 * interpolated into them (ids, paths, a child's output) is masked as everywhere else.
 *
 * A value equal to a fixed phrase is therefore shown where that phrase occurs in a message,
 * which tells a reader only what the phrase already says. The build log and other programs'
 * output are data: no exemption applies there.
 */
const phrases = new Set<string>();

/** Shorter phrases cannot hold a masked value (MIN_RAW_MASK_BYTES). */
const MIN_PHRASE = 4;

/** Registers fixed words that are not template literals (table entries, JSON keys). */
export function ownWords(...words: readonly string[]): void {
  for (const w of words) {
    if (w.length < MIN_PHRASE || phrases.has(w)) continue;
    phrases.add(w);
    cached = undefined;
  }
}

let cached: Buffer[] | undefined;

/**
 * A template tag for safebuild's own messages: the literal parts become own words, the
 * interpolated values stay data. Returns the plain string.
 */
export function said(strings: TemplateStringsArray, ...values: readonly unknown[]): string {
  ownWords(...strings);
  let out = strings[0] ?? "";
  values.forEach((v, i) => {
    out += String(v) + (strings[i + 1] ?? "");
  });
  return out;
}

/** Every key of a JSON document, quoted as it is written, becomes an own word. */
export function ownJsonKeys(value: unknown, depth = 0): void {
  if (depth > 32 || value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    for (const item of value) ownJsonKeys(item, depth + 1);
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    ownWords(JSON.stringify(key));
    ownJsonKeys(item, depth + 1);
  }
}

/** The registered phrases as bytes, longest first: what `keepOwn` checks a hit against. */
export function ownPhrases(): readonly Buffer[] {
  cached ??= [...phrases].map((p) => Buffer.from(p, "utf8")).sort((a, b) => b.length - a.length);
  return cached;
}

/**
 * `ranges` without those lying wholly inside an occurrence of an own phrase in `source`:
 * the hits of a composed text that are safebuild's fixed words, not data.
 */
export function withoutOwn(source: Buffer, ranges: readonly [number, number][], own: readonly Buffer[]): [number, number][] {
  return ranges.filter(([s, e]) => {
    const hit = source.subarray(s, e);
    for (const phrase of own) {
      if (phrase.length < hit.length) break;
      for (let j = phrase.indexOf(hit); j !== -1; j = phrase.indexOf(hit, j + 1)) {
        const from = s - j;
        if (from >= 0 && from + phrase.length <= source.length && source.subarray(from, from + phrase.length).equals(phrase)) return false;
      }
    }
    return true;
  });
}
