/** One byte sequence to find; `tag` is the caller's index into its own table of variants. */
export interface Needle {
  readonly bytes: Buffer;
  readonly tag: number;
}

export interface Matcher {
  /** Length of the longest needle: how much a streaming caller must carry between chunks. */
  readonly maxLength: number;
  /** Calls `onMatch(tag, start)` for every occurrence lying wholly inside `haystack`. */
  scan(haystack: Buffer, onMatch: (tag: number, start: number) => void): void;
}

/** Provisional: Buffer.indexOf per needle. The scan issue replaces it with a multi-pattern engine. */
export function compileMatcher(needles: readonly Needle[]): Matcher {
  const list = needles.filter((n) => n.bytes.length > 0);
  return {
    maxLength: list.reduce((max, n) => Math.max(max, n.bytes.length), 0),
    scan(haystack, onMatch) {
      for (const n of list) {
        for (let at = haystack.indexOf(n.bytes); at !== -1; at = haystack.indexOf(n.bytes, at + 1)) onMatch(n.tag, at);
      }
    },
  };
}
