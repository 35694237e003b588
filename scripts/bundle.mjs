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
// Threads are modules of their own, started from `./NAME.js` beside their starter (the engine
// export's reader, the layer hashing thread): each goes beside whichever file esbuild put its starter in.
const threads = [
  ["src/docker/reader-thread.ts", "src/docker/export-thread.ts", "export-thread.js"],
  ["src/scan/layer/digest-thread.ts", "src/scan/layer/digest-worker.ts", "digest-worker.js"],
];
for (const [starter, thread, name] of threads) {
  const holders = Object.entries(cli.metafile.outputs).filter(([file, output]) => file.endsWith(".js") && starter in output.inputs);
  if (holders.length !== 1) throw new Error(`bundle: ${starter} is in ${holders.length} output files, expected 1`);
  // split, so what a thread imports lazily (the layer thread's rules code) loads only when used
  const entry = { [name.replace(/\.js$/, "")]: thread };
  await build({ ...common, entryPoints: entry, outdir: dirname(holders[0][0]), splitting: true, chunkNames: "thread-[name]-[hash]", format: "esm" });
}
// The bin: a CommonJS launcher that sets the process up before any ES module loads (see it).
await build({
  ...common,
  entryPoints: ["src/bin/safebuild.ts"],
  outfile: "dist/bin/safebuild.cjs",
  format: "cjs",
});
