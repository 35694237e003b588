/** A log line longer than this cannot be the closing line: only its end is kept. */
const MAX_LINE = 4096;
const CLOSING = /: digest: (sha256:[0-9a-f]{64}) size: (\d+)\r?$/;

export interface PushedDigest {
  readonly digest: string;
  readonly size: number;
}

/**
 * Watches a `docker push` log for its closing line, `TAG: digest: sha256:… size: N`: the
 * manifest's digest and size as the registry accepted them. Keeps one bounded partial line.
 */
export function pushedDigestWatcher(): { write(chunk: Buffer): void; result(): PushedDigest | undefined } {
  let partial = "";
  let found: PushedDigest | undefined;
  const look = (line: string): void => {
    const match = CLOSING.exec(line);
    if (match !== null) found = { digest: match[1] ?? "", size: Number(match[2]) };
  };
  return {
    write(chunk) {
      const lines = (partial + chunk.toString("latin1")).split("\n");
      partial = (lines.pop() ?? "").slice(-MAX_LINE);
      lines.forEach(look);
    },
    result() {
      look(partial);
      return found;
    },
  };
}
