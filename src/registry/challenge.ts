/** One `WWW-Authenticate` challenge (RFC 7235): its scheme, lowercased, and its parameters. */
export interface Challenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;

/**
 * Parses the challenges of a `WWW-Authenticate` header; undefined when the header is not one
 * (a registry answering 401 with garbage is refused, never guessed at).
 */
export function parseChallenges(header: string): Challenge[] | undefined {
  const challenges: Challenge[] = [];
  let rest = header.trim();
  while (rest !== "") {
    const scheme = TOKEN.exec(rest)?.[0];
    if (scheme === undefined) return undefined;
    rest = rest.slice(scheme.length).trimStart();
    const params: Record<string, string> = {};
    for (;;) {
      const name = TOKEN.exec(rest)?.[0];
      if (name === undefined) break;
      const after = rest.slice(name.length).trimStart();
      if (!after.startsWith("=")) break;
      let value: string;
      let tail = after.slice(1).trimStart();
      if (tail.startsWith('"')) {
        const quoted = /^"((?:[^"\\]|\\.)*)"/.exec(tail);
        if (quoted === null) return undefined;
        value = (quoted[1] ?? "").replace(/\\(.)/g, "$1");
        tail = tail.slice(quoted[0].length);
      } else {
        value = TOKEN.exec(tail)?.[0] ?? "";
        if (value === "") return undefined;
        tail = tail.slice(value.length);
      }
      params[name.toLowerCase()] = value;
      rest = tail.trimStart();
      if (!rest.startsWith(",")) break;
      rest = rest.slice(1).trimStart();
    }
    challenges.push({ scheme: scheme.toLowerCase(), params });
    if (rest.startsWith(",")) rest = rest.slice(1).trimStart();
  }
  return challenges.length === 0 ? undefined : challenges;
}
