/**
 * Watches BuildKit's plain progress log for RUN steps with a secret mount that came from the
 * cache. BuildKit does not key its cache on secret values, so such a step ran in an earlier
 * build with whatever value the secret had then: a leak of that older value is invisible to
 * an audit that knows only today's value. Only step numbers are kept, never log text.
 */
export interface CachedSecretSteps {
  /** Feed raw log bytes, in order. */
  write(chunk: Buffer): void;
  /** The `[i/n] RUN …` labels of cached secret-mount steps, as BuildKit numbered them. */
  cached(): string[];
}

const STEP = /^#(\d+) (\[[^\]]*\]) RUN (.*)$/;
const CACHED = /^#(\d+) CACHED\s*$/;

export function watchCachedSecretSteps(): CachedSecretSteps {
  const secretSteps = new Map<string, string>();
  const cached = new Set<string>();
  let partial = "";
  const line = (text: string): void => {
    const step = STEP.exec(text);
    if (step !== null && /--mount=\S*type=secret/.test(step[3] ?? "")) secretSteps.set(step[1] ?? "", step[2] ?? "");
    const hit = CACHED.exec(text);
    if (hit !== null && secretSteps.has(hit[1] ?? "")) cached.add(hit[1] ?? "");
  };
  return {
    write(chunk) {
      const lines = (partial + chunk.toString("latin1")).split("\n");
      partial = (lines.pop() ?? "").slice(-4096);
      for (const l of lines) line(l.replace(/\r$/, ""));
    },
    cached: () => [...cached].map((n) => secretSteps.get(n) ?? `#${n}`),
  };
}
