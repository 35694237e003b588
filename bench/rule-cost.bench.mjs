// The CPU cost of a change to the pattern rules, on the bench image's tarball: two builds of
// the CLI scan the same tar with rules on, alternately (a noisy machine slows both alike).
//   node bench/rule-cost.bench.mjs BEFORE_DIST [AFTER_DIST=dist]   (env: BENCH_RUNS, default 3)
// Prints each run's CPU seconds (user + sys), wall seconds and rule findings, then the medians,
// with the after build's --no-rules scan as the baseline the bench's rules target compares to.
import { join, resolve } from "node:path";
import { measure, median } from "./measure.mjs";
import { benchConfig, ensureImage, ensureSecrets, ensureTar, root, secretArgs } from "./setup.mjs";

const log = (message) => console.error(`[rule-cost] ${message}`);
const [beforeDist, afterDist = join(root, "dist")] = process.argv.slice(2);
if (beforeDist === undefined) {
  log("usage: node bench/rule-cost.bench.mjs BEFORE_DIST [AFTER_DIST]");
  process.exit(2);
}
const cfg = benchConfig();
const secrets = ensureSecrets(cfg);
const image = ensureImage(cfg, secrets, log);
ensureTar(cfg, image.id, log);
const builds = { before: resolve(beforeDist, "bin", "safebuild.cjs"), after: resolve(afterDist, "bin", "safebuild.cjs") };
const runs = { before: [], after: [], noRules: [] };
for (let i = 0; i < cfg.runs; i++) {
  // alternate which goes first, so neither always runs on a warmer page cache
  for (const which of i % 2 === 0 ? ["before", "after", "noRules"] : ["noRules", "after", "before"]) {
    const args = [builds[which === "before" ? "before" : "after"], "scan", cfg.tarPath, "--format", "json", ...secretArgs(cfg), ...(which === "noRules" ? ["--no-rules"] : [])];
    const run = await measure(process.execPath, args, { rss: true, env: { ...process.env, SAFEBUILD_DOCKER: cfg.docker }, cwd: root });
    const findings = JSON.parse(run.stdout).findings ?? [];
    const rules = findings.filter((f) => f.rule !== null).length;
    runs[which].push({ cpuMs: run.cpuMs, ms: run.ms, rssKb: run.rssKb, rules, code: run.code });
    log(`${which} round ${i + 1}: cpu ${(run.cpuMs / 1000).toFixed(2)} s, wall ${(run.ms / 1000).toFixed(2)} s, rss ${Math.round(run.rssKb / 1024)} MB, rule findings ${rules}, exit ${run.code}`);
  }
}
const cpu = (which) => median(runs[which].map((r) => r.cpuMs)) / 1000;
console.log(`CPU (user+sys) median of ${cfg.runs}: before ${cpu("before").toFixed(2)} s, after ${cpu("after").toFixed(2)} s, ratio ${(cpu("after") / cpu("before")).toFixed(3)}; --no-rules ${cpu("noRules").toFixed(2)} s (rules on / off: before ${(cpu("before") / cpu("noRules")).toFixed(3)}, after ${(cpu("after") / cpu("noRules")).toFixed(3)})`);
console.log(`wall median: before ${(median(runs.before.map((r) => r.ms)) / 1000).toFixed(2)} s, after ${(median(runs.after.map((r) => r.ms)) / 1000).toFixed(2)} s; rule findings after: ${runs.after.map((r) => r.rules).join(", ")}`);
