// Bundles what `bin` points at: dist/bin/safebuild.cjs, a small launcher, and the CLI it loads,
// dist/bin/main.js with its chunks. Node 20 has no compile cache, and loading some 60 small ES
// modules one by one was ~30 ms of every build's fixed cost (bench/build.bench.mjs).
// Dependencies stay external; lazily imported parts (the scanner, Vault, the config parser) stay
// lazy as chunks. tsc still emits the rest of dist/ for the tests.
import { build } from "esbuild";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";

const root = join(import.meta.dirname, "..");
rmSync(join(root, "dist/bin"), { recursive: true, force: true });
const common = {
  absWorkingDir: root,
  bundle: true,
  platform: "node",
  target: "node20",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
};
// The CLI, an ES module bundle with lazily loaded chunks.
const cli = await build({
  ...common,
  metafile: true,
  entryPoints: ["src/bin/main.ts"],
  outdir: "dist/bin",
  chunkNames: "chunks/[name]-[hash]",
  splitting: true,
  format: "esm",
});
// The engine export's reader thread, a module of its own: src/docker/reader-thread.ts starts it
// from `./export-thread.js` beside itself, so it goes beside whichever file esbuild put that in.
const starter = "src/docker/reader-thread.ts";
const holders = Object.entries(cli.metafile.outputs).filter(([file, output]) => file.endsWith(".js") && starter in output.inputs);
if (holders.length !== 1) throw new Error(`bundle: ${starter} is in ${holders.length} output files, expected 1`);
await build({
  ...common,
  entryPoints: ["src/docker/export-thread.ts"],
  outfile: join(dirname(holders[0][0]), "export-thread.js"),
  format: "esm",
});
// The bin: a CommonJS launcher that sets the process up before any ES module loads (see it).
await build({
  ...common,
  entryPoints: ["src/bin/safebuild.ts"],
  outfile: "dist/bin/safebuild.cjs",
  format: "cjs",
});
