import { lstatSync } from "node:fs";
import path from "node:path";
import { realPathOf } from "./real-path.js";

/**
 * The root of the git work tree that holds `dir`: the nearest ancestor with a `.git` folder. A
 * `.git` file (a submodule, a linked worktree) is passed on up to the work tree around it, when
 * there is one: a superproject's files are the same pull request's. Undefined: no checkout.
 */
export function workTreeOf(dir: string): string | undefined {
  let found: string | undefined;
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    let kind: "dir" | "file" | undefined;
    try {
      kind = lstatSync(path.join(at, ".git")).isDirectory() ? "dir" : "file";
    } catch {
      kind = undefined;
    }
    if (kind === "dir") return at;
    if (kind === "file") found = at;
    if (path.dirname(at) === at) return found;
  }
}

/**
 * The folders the repository being built controls: the work tree around the context (a
 * checkout's root: its files at the top are the pull request's too, context or not), else the
 * context itself; looked for from the context as it was typed and from where it really is (a
 * symlink in a checkout pointing out of it is still the checkout's choice). Real paths.
 */
export function repositoryRoots(contextDir: string): string[] {
  const typed = path.resolve(contextDir);
  const real = realPathOf(typed);
  const roots = [workTreeOf(typed) ?? typed, workTreeOf(real) ?? real].map(realPathOf);
  return [...new Set(roots)];
}
