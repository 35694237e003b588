import { existsSync } from "node:fs";
import path from "node:path";
import { realPathOf } from "./real-path.js";

/**
 * The folder the repository being built controls: the nearest ancestor of the context that
 * holds `.git` (a checkout's root: its files at the top are the pull request's too, context
 * or not), else the context itself. Real paths. Only ever wider than the context, never narrower.
 */
export function repositoryRoot(contextDir: string): string {
  const context = realPathOf(contextDir);
  for (let dir = context; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, ".git"))) return dir;
    if (path.dirname(dir) === dir) return context;
  }
}
