// Profiles one `safebuild scan FILE.tar` of the bench image with `node --cpu-prof` and
// prints the hottest functions (self and total time), mapped back to src/*.ts through
// dist's source maps. `node bench/profile-scan.mjs` after `npm run build`.
//
// env: BENCH_SIZE_MB (200 here: a profile needs no 1 GB), SAFEBUILD_DOCKER, PROFILE_TOP (25),
//      PROFILE_SOURCE=tar|engine (tar: the saved tarball; engine: the image through the Engine API),
//      PROFILE_ARGS (more scan flags, split on blanks: `--no-rules` to see what the rules cost).
import { mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { SourceMap } from "node:module";
import { join, relative } from "node:path";
import { URL, fileURLToPath } from "node:url";
import { measure } from "./measure.mjs";
import { benchConfig, ensureImage, ensureSecrets, ensureTar, root, secretArgs, work } from "./setup.mjs";

const log = (message) => console.error(`[profile] ${message}`);
const cfg = benchConfig({ ...process.env, BENCH_SIZE_MB: process.env.BENCH_SIZE_MB ?? "200" });
const top = Number(process.env.PROFILE_TOP ?? "25");
const secrets = ensureSecrets(cfg);
const image = ensureImage(cfg, secrets, log);
ensureTar(cfg, image.id, log);

const dir = join(work, "prof");
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const ref = process.env.PROFILE_SOURCE === "engine" ? cfg.tag : cfg.tarPath;
const args = ["--cpu-prof", "--cpu-prof-dir", dir, join(root, "dist", "cli.js"), "scan", ref, "--format", "json", ...secretArgs(cfg), ...(process.env.PROFILE_ARGS ?? "").split(/\s+/).filter(Boolean)];
log(`node --cpu-prof dist/cli.js scan ${relative(root, ref)} --secret ×20`);
const run = await measure(process.execPath, args, { rss: true, cwd: root, env: { ...process.env, SAFEBUILD_DOCKER: cfg.docker } });
log(`exit ${run.code}, ${(run.ms / 1000).toFixed(2)} s, peak RSS ${run.rssKb === null ? "n/a" : `${(run.rssKb / 1024).toFixed(0)} MB`}`);
const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
if (!file) throw new Error("no .cpuprofile written");
const profile = JSON.parse(readFileSync(join(dir, file), "utf8"));

// self time per node, from the sample stream
const selfUs = new Map();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);

const maps = new Map();
function sourceMapFor(url) {
  if (!maps.has(url)) {
    let map = null;
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${fileURLToPath(url)}.map`, "utf8")));
    } catch {
      // no map: node internals, dependencies
    }
    maps.set(url, map);
  }
  return maps.get(url);
}

/** `name file:line`, in src/*.ts when dist has a map for it (lines 1-based). */
function where(cf) {
  const name = cf.functionName || "(anonymous)";
  if (!cf.url) return name;
  const map = cf.url.startsWith("file://") && cf.url.includes("/dist/") ? sourceMapFor(cf.url) : null;
  const entry = map?.findEntry(cf.lineNumber, cf.columnNumber);
  if (entry?.originalSource) {
    // sources are relative to the map, which sits next to its .js file
    const src = fileURLToPath(new URL(entry.originalSource, cf.url));
    return `${name} ${relative(root, src)}:${entry.originalLine + 1}`;
  }
  const path = cf.url.startsWith("file://") ? relative(root, fileURLToPath(cf.url)) : cf.url;
  return `${name} ${path}:${cf.lineNumber + 1}`;
}

const self = new Map();
for (const [id, us] of selfUs) {
  const key = where(byId.get(id).callFrame);
  self.set(key, (self.get(key) ?? 0) + us);
}

// total time: a function counts once per stack, however deeply it recurses
const total = new Map();
const inclusive = new Map();
function walk(node) {
  let us = selfUs.get(node.id) ?? 0;
  for (const child of node.children ?? []) us += walk(byId.get(child));
  inclusive.set(node.id, us);
  return us;
}
walk(profile.nodes[0]);
function accumulate(node, onPath) {
  const key = where(node.callFrame);
  const fresh = !onPath.has(key);
  if (fresh) total.set(key, (total.get(key) ?? 0) + inclusive.get(node.id));
  if (fresh) onPath.add(key);
  for (const child of node.children ?? []) accumulate(byId.get(child), onPath);
  if (fresh) onPath.delete(key);
}
accumulate(profile.nodes[0], new Set());

const pct = (us) => `${((100 * us) / totalUs).toFixed(1).padStart(5)}%`;
const ms = (us) => `${(us / 1000).toFixed(0).padStart(6)} ms`;
console.log(`\nCPU profile of safebuild scan ${ref === cfg.tag ? ref : relative(root, ref)} (${(totalUs / 1e6).toFixed(2)} s sampled): ${relative(root, join(dir, file))}\n`);
console.log(`top ${top} by self time`);
for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${ms(us)} ${pct(us)}  ${key}`);
console.log(`\ntop ${top} of safebuild's own functions (src/) by total time`);
for (const [key, us] of [...total].filter(([k]) => k.includes(" src/")).sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`  ${ms(us)} ${pct(us)}  ${key}`);
}
