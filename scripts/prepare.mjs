// npm's `prepare` hook: `npm ci` in a fresh clone leaves a working `npx safebuild`. Only the
// bundle that `bin` points at is built (about a second); `npm run build` (tsc too) stays for
// tests. Without devDependencies (`npm ci --omit=dev`) there is no esbuild: say so, do not fail.
import { createRequire } from "node:module";
import { chmodSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
try {
  createRequire(join(root, "package.json")).resolve("esbuild");
} catch {
  console.error("safebuild prepare: esbuild is not installed (devDependencies omitted); run npm install then npm run build");
  process.exit(0);
}
await import("./bundle.mjs");
chmodSync(join(root, "dist/bin/safebuild.cjs"), 0o755);
