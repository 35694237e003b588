/**
 * The small lexers BuildKit applies to instruction flags: shell-like words (quotes removed)
 * and the CSV of a `--mount` value (`type=secret,"id=a,b"`).
 */

/** Splits `text` into words at unquoted whitespace; returns the words and where each ends. */
export function splitWords(text: string, escape = "\\"): { word: string; end: number }[] {
  const words: { word: string; end: number }[] = [];
  let word = "";
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i] ?? "";
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      else if (ch === escape && quote === '"' && i + 1 < text.length) word += text[++i] ?? "";
      else word += ch;
      continue;
    }
    if (/\s/.test(ch)) {
      if (inWord) words.push({ word, end: i });
      word = "";
      inWord = false;
      continue;
    }
    inWord = true;
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === escape && i + 1 < text.length) word += text[++i] ?? "";
    else word += ch;
  }
  if (inWord) words.push({ word, end: text.length });
  return words;
}

/** Words at unquoted whitespace, quotes and escapes kept (for word-expansion.ts to read). */
export function rawWords(text: string, escape = "\\"): string[] {
  const words: string[] = [];
  let word = "";
  let quote: string | undefined;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i] ?? "";
    if (quote === undefined && /\s/.test(ch)) {
      if (word !== "") words.push(word);
      word = "";
      continue;
    }
    word += ch;
    if (ch === escape && quote !== "'" && i + 1 < text.length) word += text[++i] ?? "";
    else if (quote === undefined && (ch === '"' || ch === "'")) quote = ch;
    else if (ch === quote) quote = undefined;
  }
  if (word !== "") words.push(word);
  return words;
}

/** The leading `--name=value` flags of an instruction, in order (a flag may repeat). */
export function leadingFlags(rest: string, escape = "\\"): { name: string; value: string }[] {
  const flags: { name: string; value: string }[] = [];
  for (const { word } of splitWords(rest, escape)) {
    if (!word.startsWith("--")) break;
    const eq = word.indexOf("=");
    flags.push(eq === -1 ? { name: word.slice(2).toLowerCase(), value: "" } : { name: word.slice(2, eq).toLowerCase(), value: word.slice(eq + 1) });
  }
  return flags;
}

/** One CSV record as Go's encoding/csv reads it (double quotes, `""` for a quote). */
export function csvFields(text: string): string[] {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      fields.push(field);
      field = "";
    } else field += ch;
  }
  fields.push(field);
  return fields;
}

/** Quotes a CSV field only when it needs it (the `--secret` value docker parses as CSV). */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
