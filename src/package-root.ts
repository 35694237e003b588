import { existsSync, readFileSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";

let cached: { readonly root: string | undefined } | undefined;

/**
 * The directory of safebuild's own package.json, found upwards from this module: src/,
 * dist/ and the bundle's chunks (dist/bin/chunks) sit at different depths below it.
 */
export function packageRoot(): string | undefined {
  if (cached !== undefined) return cached.root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: unknown };
      if (pkg.name === "safebuild") return (cached = { root: dir }).root;
    } catch {
      // not at this depth
    }
  }
  return (cached = { root: undefined }).root;
}

/**
 * How this safebuild runs: from a checkout, whose scripts/ set up an engine, or as an installed
 * package (npm install -g, npx), which ships only dist/: hints must name what the user has.
 */
export function setupScript(): string | undefined {
  const root = packageRoot();
  if (root === undefined || root.split(sep).includes("node_modules")) return undefined;
  const script = join(root, "scripts", "ci-docker.sh");
  return existsSync(script) ? script : undefined;
}
