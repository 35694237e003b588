import { createRequire } from "node:module";

let cached: string | undefined;

/**
 * safebuild's version, from our package.json found upwards: src/report, dist/report, dist/cli.js
 * and the bundle's chunks (dist/bin/chunks) all sit at different depths below it.
 */
export function toolVersion(): string {
  if (cached !== undefined) return cached;
  const require = createRequire(import.meta.url);
  for (let up = "../"; up.length <= 5 * 3; up += "../") {
    try {
      const pkg = require(`${up}package.json`) as { name?: unknown; version?: unknown };
      if (pkg.name === "safebuild" && typeof pkg.version === "string") return (cached = pkg.version);
    } catch {
      // not at this depth
    }
  }
  return (cached = "unknown");
}
