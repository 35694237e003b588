import { realpathSync } from "node:fs";
import path from "node:path";

/**
 * The path with every symlink resolved, as the kernel will open it. A path that does not exist
 * (yet) resolves through its deepest existing ancestor, so a missing file under a symlinked
 * folder still lands where the folder really is.
 */
export function realPathOf(absolute: string): string {
  const missing: string[] = [];
  let current = path.resolve(absolute);
  for (;;) {
    try {
      return path.join(realpathSync.native(current), ...missing.reverse());
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return path.resolve(absolute);
      missing.push(path.basename(current));
      current = parent;
    }
  }
}

/** True when `child` is `parent` or below it (both absolute and normalized). */
export function isWithin(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === "" || (!relative.startsWith(`..${path.sep}`) && relative !== ".." && !path.isAbsolute(relative));
}
