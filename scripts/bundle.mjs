// Bundles the CLI that `bin` points at (dist/bin/safebuild.js) into a few files: Node 20 has no
// compile cache, and loading some 60 small ES modules one by one was ~30 ms of every build's
// fixed cost (bench/build.bench.mjs). Dependencies stay external; lazily imported parts (the
// scanner, Vault, the config parser) stay lazy as chunks. tsc still emits dist/ for the tests.
import { build } from "esbuild";
import { rmSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
rmSync(join(root, "dist/bin/chunks"), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ["src/bin/safebuild.ts"],
  outdir: "dist/bin",
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
});
