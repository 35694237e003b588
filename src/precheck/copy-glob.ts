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
  const globs = first === -1 ? [] : elements.slice(first).map(compileElement);
  if (globs.some((g) => g === undefined)) return () => false;
  const patterns = globs as Chunk[][];
  const depth = literal.length + patterns.length;
  return (path) => {
    if (depth === 0) return true;
    const parts = path.split("/");
    if (parts.length < depth) return false;
    for (const [i, name] of literal.entries()) if (parts[i] !== name) return false;
    return patterns.every((chunks, j) => matchElement(chunks, [...(parts[literal.length + j] ?? "")]));
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

/** One character of a pattern: a literal, `?`, or a class. */
type Token = { readonly kind: "char"; readonly char: string } | { readonly kind: "any" } | { readonly kind: "class"; readonly negated: boolean; readonly ranges: readonly (readonly [number, number])[] };
/** Go's scanChunk: the tokens up to the next `*`, and whether a `*` came before them. */
type Chunk = { readonly star: boolean; readonly tokens: readonly Token[] };

/**
 * One element of a Go `filepath.Match` pattern, or undefined when Go calls it malformed: `*` any
 * run, `?` one character, `[` [`^`] ranges `]` (non-empty; `-` and `]` must be escaped inside;
 * `!` is a plain character), `\` escapes anywhere, none at the end.
 */
function compileElement(element: string): Chunk[] | undefined {
  const chars = [...element];
  const chunks: { star: boolean; tokens: Token[] }[] = [{ star: false, tokens: [] }];
  for (let i = 0; i < chars.length; i += 1) {
    const ch = chars[i] ?? "";
    const current = chunks[chunks.length - 1] ?? { star: false, tokens: [] };
    if (ch === "*") {
      // stars in a row are one; a star after tokens starts the next chunk
      if (current.tokens.length === 0) current.star = true;
      else chunks.push({ star: true, tokens: [] });
    } else if (ch === "?") current.tokens.push({ kind: "any" });
    else if (ch === "\\") {
      i += 1;
      if (i >= chars.length) return undefined;
      current.tokens.push({ kind: "char", char: chars[i] ?? "" });
    } else if (ch === "[") {
      const cls = charClass(chars, i + 1);
      if (cls === undefined) return undefined;
      current.tokens.push(cls.token);
      i = cls.end;
    } else current.tokens.push({ kind: "char", char: ch });
  }
  return chunks;
}

/**
 * Go's Match loop: each chunk at the current position, else (after a `*`) at the first later
 * position where it matches, the last chunk only where it ends the name. Linear in the pattern
 * times the name, whatever a hostile Dockerfile writes (no regex backtracking).
 */
function matchElement(chunks: readonly Chunk[], name: readonly string[]): boolean {
  let at = 0;
  for (const [c, { star, tokens }] of chunks.entries()) {
    const last = c === chunks.length - 1;
    if (star && tokens.length === 0 && last) return true;
    const here = matchChunk(tokens, name, at);
    if (here !== -1 && (here === name.length || !last)) {
      at = here;
      continue;
    }
    if (!star) return false;
    let next = -1;
    for (let i = at + 1; i <= name.length && next === -1; i += 1) {
      const end = matchChunk(tokens, name, i);
      if (end !== -1 && (!last || end === name.length)) next = end;
    }
    if (next === -1) return false;
    at = next;
  }
  return at === name.length;
}

/** Where `tokens` matched from `start` end, or -1. */
function matchChunk(tokens: readonly Token[], name: readonly string[], start: number): number {
  let at = start;
  for (const token of tokens) {
    const ch = name[at];
    if (ch === undefined) return -1;
    if (token.kind === "char" && token.char !== ch) return -1;
    if (token.kind === "class") {
      const code = ch.codePointAt(0) ?? 0;
      if (token.ranges.some(([lo, hi]) => lo <= code && code <= hi) === token.negated) return -1;
    }
    at += 1;
  }
  return at;
}

/** A class from `start` (just after `[`); `end` is the index of its `]`. */
function charClass(chars: readonly string[], start: number): { token: Token; end: number } | undefined {
  let i = start;
  const negated = chars[i] === "^";
  if (negated) i += 1;
  const ranges: [number, number][] = [];
  for (;;) {
    if (chars[i] === "]" && ranges.length > 0) return { token: { kind: "class", negated, ranges }, end: i };
    const lo = classChar(chars, i);
    if (lo === undefined) return undefined;
    i = lo.next;
    if (chars[i] === "-") {
      const hi = classChar(chars, i + 1);
      if (hi === undefined || hi.code < lo.code) return undefined;
      ranges.push([lo.code, hi.code]);
      i = hi.next;
    } else ranges.push([lo.code, lo.code]);
  }
}

/** Go's `getEsc`: a class character; an unescaped `-` or `]`, or the pattern's end, is malformed. */
function classChar(chars: readonly string[], i: number): { code: number; next: number } | undefined {
  const ch = chars[i];
  if (ch === undefined || ch === "-" || ch === "]") return undefined;
  const char = ch === "\\" ? chars[i + 1] : ch;
  return char === undefined ? undefined : { code: char.codePointAt(0) ?? 0, next: ch === "\\" ? i + 2 : i + 1 };
}
