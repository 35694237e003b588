/**
 * Which context paths a COPY/ADD source takes, as BuildKit resolves it (fsutil copy.go
 * `ResolveWildcards`): the source, cleaned, splits at the first path element holding an
 * unescaped `*`, `?` or `[`; the elements before it name a path literally (a backslash there is
 * a character of the name), the rest is matched per element with Go's `filepath.Match` against
 * paths of exactly that depth, and a matched directory is taken whole. `**` is not special: it
 * is `*` twice. A malformed pattern matches nothing (BuildKit ignores Match's error and allows
 * an empty wildcard).
 */
export function copySourceMatcher(source: string): (path: string) => boolean {
  const elements = cleanElements(source);
  const first = elements.findIndex(hasWildcard);
  const literal = first === -1 ? elements : elements.slice(0, first);
  const globs = first === -1 ? [] : elements.slice(first).map(elementRegex);
  if (globs.some((g) => g === undefined)) return () => false;
  const regexes = globs as RegExp[];
  const depth = literal.length + regexes.length;
  return (path) => {
    if (depth === 0) return true;
    const parts = path.split("/");
    if (parts.length < depth) return false;
    for (const [i, name] of literal.entries()) if (parts[i] !== name) return false;
    return regexes.every((re, j) => re.test(parts[literal.length + j] ?? ""));
  };
}

/** Go's filepath.Clean of the source made absolute (NormalizePath): `..` stops at the root. */
function cleanElements(source: string): string[] {
  const parts: string[] = [];
  for (const part of source.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return parts;
}

/** fsutil's `containsWildcards`: a backslash hides the character after it. */
function hasWildcard(element: string): boolean {
  for (let i = 0; i < element.length; i += 1) {
    const ch = element[i];
    if (ch === "\\") i += 1;
    else if (ch === "*" || ch === "?" || ch === "[") return true;
  }
  return false;
}

/**
 * One element of a Go `filepath.Match` pattern as an anchored regex, or undefined when Go calls
 * it malformed: `*` any run, `?` one character, `[` [`^`] ranges `]` (non-empty; `-` and `]`
 * must be escaped inside; `!` is a plain character), `\` escapes anywhere, none at the end.
 */
function elementRegex(element: string): RegExp | undefined {
  const chars = [...element];
  let out = "";
  for (let i = 0; i < chars.length; i += 1) {
    const ch = chars[i] ?? "";
    if (ch === "*") out += ".*";
    else if (ch === "?") out += ".";
    else if (ch === "\\") {
      i += 1;
      if (i >= chars.length) return undefined;
      out += literalChar(chars[i] ?? "");
    } else if (ch === "[") {
      const cls = charClass(chars, i + 1);
      if (cls === undefined) return undefined;
      out += cls.regex;
      i = cls.end;
    } else out += literalChar(ch);
  }
  return new RegExp(`^${out}$`, "su");
}

/** A class from `start` (just after `[`); `end` is the index of its `]`. */
function charClass(chars: readonly string[], start: number): { regex: string; end: number } | undefined {
  let i = start;
  const negated = chars[i] === "^";
  if (negated) i += 1;
  const ranges: string[] = [];
  for (;;) {
    if (chars[i] === "]" && ranges.length > 0) return { regex: `[${negated ? "^" : ""}${ranges.join("")}]`, end: i };
    const lo = classChar(chars, i);
    if (lo === undefined) return undefined;
    i = lo.next;
    if (chars[i] === "-") {
      const hi = classChar(chars, i + 1);
      if (hi === undefined || (hi.char.codePointAt(0) ?? 0) < (lo.char.codePointAt(0) ?? 0)) return undefined;
      ranges.push(`${literalChar(lo.char)}-${literalChar(hi.char)}`);
      i = hi.next;
    } else ranges.push(literalChar(lo.char));
  }
}

/** Go's `getEsc`: a class character; an unescaped `-` or `]`, or the pattern's end, is malformed. */
function classChar(chars: readonly string[], i: number): { char: string; next: number } | undefined {
  const ch = chars[i];
  if (ch === undefined || ch === "-" || ch === "]") return undefined;
  if (ch !== "\\") return { char: ch, next: i + 1 };
  const escaped = chars[i + 1];
  return escaped === undefined ? undefined : { char: escaped, next: i + 2 };
}

const literalChar = (ch: string): string => `\\u{${(ch.codePointAt(0) ?? 0).toString(16)}}`;
