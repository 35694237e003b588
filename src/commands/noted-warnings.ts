import type { CommandContext } from "./context.js";

export interface NotedWarnings {
  /** The command's context, whose `io.warn` also remembers each warning. */
  readonly ctx: CommandContext;
  /** The report's warnings: every one printed so far, then the scan's own, each once. */
  withScan(scanWarnings: readonly string[]): string[];
}

/**
 * Every warning a command prints on stderr (config, providers, Dockerfile checks, the builder,
 * the cache) also belongs in its JSON and SARIF report: one place sees them all.
 */
export function noteWarnings(ctx: CommandContext): NotedWarnings {
  const noted: string[] = [];
  const io = {
    ...ctx.io,
    warn: (message: string) => {
      noted.push(message);
      ctx.io.warn(message);
    },
  };
  return {
    ctx: { ...ctx, io },
    withScan: (scanWarnings) => [...new Set([...noted, ...scanWarnings])],
  };
}
