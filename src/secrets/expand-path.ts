import path from "node:path";

/** `~` and `~/…` become the home directory; relative paths are taken from `cwd`. */
export function expandPath(target: string, cwd: string, home: string): string {
  if (target === "~") return home;
  if (target.startsWith("~/")) return path.join(home, target.slice(2));
  return path.resolve(cwd, target);
}
