// The registry scan benchmark of issue 14: `npm run bench:registry` (and part of `npm run bench`).
//
// The 1 GB bench image is pushed to the real distribution registry on a loopback port, then,
// in the same run, interleaved, medians of BENCH_RUNS:
//   (a) safebuild scan registry:HOST/bench/image:N  over  skopeo copy docker://… dir:TMP   target <= 1.10
//   (b) safebuild scan registry:…                   over  docker pull (of blobs it never saw)   target <= 0.5
//   (c) peak RSS of the registry scans                                                         target <= 150 MB
// Each round pushes the image again with fresh blob digests (fresh-push.mjs: a random gzip MTIME
// per layer), so neither skopeo nor dockerd can skip a blob; the bench fails if `docker pull`
// says "Already exists" for any layer. dockerd knows the layers by diff_id (the bench image is in
// the engine): it still downloads, verifies and unpacks each one before it finds that out.
// CPU seconds (user + sys) are printed beside the wall times: on a shared machine the steadier figure.
// BENCH_CLI_BASE=path/to/other/safebuild.cjs also scans with that build in each round, in
// alternating order, for old/new comparisons. A scan that misses the planted secret fails the bench.
//
/* global fetch */
// env: BENCH_RUNS (3), BENCH_SIZE_MB (1024), SAFEBUILD_DOCKER, BENCH_STRICT=1,
//      SAFEBUILD_TEST_REGISTRY_BIN (/usr/bin/docker-registry).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { constants as osConstants, tmpdir } from "node:os";
import { join } from "node:path";
import { canMeasureRss, measure, median } from "./measure.mjs";
import { gzipLayout, pushFresh } from "./fresh-push.mjs";
import { benchConfig, ensureImage, ensureSecrets, ensureTar, root, secretArgs, work } from "./setup.mjs";

const log = (message) => console.error(`[bench:registry] ${message}`);
const cfg = benchConfig();
const cli = join(root, "dist", "bin", "safebuild.cjs");
const secrets = ensureSecrets(cfg);
const image = ensureImage(cfg, secrets, log);
ensureTar(cfg, image.id, log);

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

const dir = mkdtempSync(join(tmpdir(), "safebuild-bench-registry-"));
const port = await freePort();
const host = `127.0.0.1:${port}`;
writeFileSync(
  join(dir, "config.yml"),
  `version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, "data")}\n  delete:\n    enabled: true\nhttp:\n  addr: ${host}\n`,
);
const registry = spawn(process.env.SAFEBUILD_TEST_REGISTRY_BIN ?? "/usr/bin/docker-registry", ["serve", join(dir, "config.yml")], { stdio: "ignore" });
const pulled = [];
let cleaned = false;
const cleanup = () => {
  if (cleaned) return;
  cleaned = true;
  if (pulled.length > 0) spawnSync(cfg.docker, ["rmi", "-f", ...pulled], { stdio: "ignore" });
  // SIGKILL: on SIGTERM the registry may wait for its keep-alive connections, and nothing in its
  // temp dir is worth a graceful stop. The bench ends by calling this: the child kept it alive.
  registry.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
};
process.on("exit", cleanup);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.once(signal, () => {
    cleanup();
    process.exit(128 + osConstants.signals[signal]);
  });
}
for (let i = 0; i < 100; i++) {
  try {
    await (await fetch(`http://${host}/v2/`)).arrayBuffer();
    break;
  } catch {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const scanEnv = { ...process.env, SAFEBUILD_DOCKER: cfg.docker, DOCKER_CONFIG: join(dir, "docker-config") };
const baseCli = process.env.BENCH_CLI_BASE;
const rounds = { scan: [], base: [], skopeo: [], pull: [] };
const checks = [];
log("writing the image as gzip blobs (once; not timed)…");
const gzDir = join(dir, "gzip-layout");
gzipLayout(cfg.tarPath, gzDir);

const scanWith = async (which, ref) => {
  const run = await measure(process.execPath, [which, "scan", `registry:${ref}`, "--format", "json", ...secretArgs(cfg)], { rss: true, env: scanEnv, cwd: root });
  let found = false;
  try {
    found = JSON.parse(run.stdout).findings.some((f) => f.secret === secrets.planted && f.path === image.plantedPath && f.layer?.index === image.plantedLayer);
  } catch {
    found = false;
  }
  checks.push({ ok: run.code === 1 && found, why: `${which} scan registry:${ref}: exit ${run.code}${found ? "" : ", planted secret not reported"} ${run.stderr.trim().split("\n").at(-1) ?? ""}` });
  return run;
};

for (let i = 1; i <= cfg.runs; i++) {
  const ref = `${host}/bench/image:${i}`;
  log(`round ${i}/${cfg.runs}: pushing ${ref} with fresh blob digests (not timed)…`);
  await pushFresh(gzDir, host, "bench/image", String(i));

  if (baseCli !== undefined && i % 2 === 0) rounds.base.push(await scanWith(baseCli, ref));
  rounds.scan.push(await scanWith(cli, ref));
  if (baseCli !== undefined && i % 2 === 1) rounds.base.push(await scanWith(baseCli, ref));

  const target = join(dir, `dir-${i}`);
  const skopeo = await measure("skopeo", ["copy", "--quiet", "--src-tls-verify=false", `docker://${ref}`, `dir:${target}`], { rss: true });
  if (skopeo.code !== 0) throw new Error(`skopeo copy failed: ${skopeo.stderr.trim()}`);
  rounds.skopeo.push(skopeo);
  rmSync(target, { recursive: true, force: true });

  pulled.push(ref);
  const pull = await measure(cfg.docker, ["pull", ref], {});
  if (pull.code !== 0) throw new Error(`docker pull failed: ${pull.stderr.trim()}`);
  const skipped = (pull.stdout.match(/: Already exists/g) ?? []).length;
  const complete = (pull.stdout.match(/: Pull complete/g) ?? []).length;
  checks.push({ ok: skipped === 0 && complete === image.layers, why: `docker pull ${ref}: ${complete} layers pulled, ${skipped} "Already exists" (expected ${image.layers} and 0)` });
  rounds.pull.push(pull.ms);
  spawnSync(cfg.docker, ["rmi", ref], { stdio: "ignore" });
}

const sec = (ms) => `${(ms / 1000).toFixed(2)} s`;
const all = (xs) => xs.map((ms) => (ms / 1000).toFixed(2)).join(" ");
const t = { scan: median(rounds.scan.map((r) => r.ms)), skopeo: median(rounds.skopeo.map((r) => r.ms)), pull: median(rounds.pull) };
const cpu = (runs) => (runs.every((r) => r.cpuMs !== null) && runs.length > 0 ? `cpu ${sec(median(runs.map((r) => r.cpuMs)))} (${all(runs.map((r) => r.cpuMs))})` : "");
const rssValues = rounds.scan.map((r) => r.rssKb).filter((v) => v !== null);
const rssMb = rssValues.length ? Math.max(...rssValues) / 1024 : null;
const ratioA = t.scan / t.skopeo;
const ratioB = t.scan / t.pull;
const verdict = (ok) => (ok ? "ok" : "MISSED");
const targets = { a: ratioA <= 1.1, b: ratioB <= 0.5, c: rssMb !== null && rssMb <= 150 };
const rows = [
  ["skopeo copy docker://… dir:…", sec(t.skopeo), "", `${all(rounds.skopeo.map((r) => r.ms))}  ${cpu(rounds.skopeo)}`],
  ["docker pull (new blobs)", sec(t.pull), "", all(rounds.pull)],
  ["safebuild scan registry:…", sec(t.scan), "", `${all(rounds.scan.map((r) => r.ms))}  ${cpu(rounds.scan)}`],
  ...(rounds.base.length > 0 ? [[`(base) ${baseCli}`, sec(median(rounds.base.map((r) => r.ms))), "", `${all(rounds.base.map((r) => r.ms))}  ${cpu(rounds.base)}`]] : []),
  ["(a) scan / skopeo copy", ratioA.toFixed(3), "target <= 1.10", verdict(targets.a)],
  ["(b) scan / docker pull", ratioB.toFixed(3), "target <= 0.50", verdict(targets.b)],
  ["(c) peak RSS, registry scans (max)", rssMb === null ? "n/a" : `${rssMb.toFixed(0)} MB`, "target <= 150 MB", canMeasureRss ? verdict(targets.c) : "(no /usr/bin/time)"],
];
const w = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c].length)));
console.log(`\nsafebuild registry scan benchmark: ${cfg.tag} pushed to ${host}, ${image.layers} layers, 20 secrets, median of ${cfg.runs}\n`);
for (const r of rows) console.log(`${r[0].padEnd(w[0])}  ${r[1].padStart(w[1])}  ${r[2].padEnd(w[2])}  ${r[3]}`);
const failed = checks.filter((c) => !c.ok);
console.log(failed.length === 0 ? `\nplanted secret ${secrets.planted}: found by all ${checks.length} registry scans` : `\n!!! BENCH FAILED:\n${failed.map((f) => `!!! ${f.why}`).join("\n")}`);
writeFileSync(join(work, `last-registry-result-${cfg.sizeMb}mb.json`), `${JSON.stringify({ date: new Date().toISOString(), rounds: { scan: rounds.scan.map((r) => ({ ms: r.ms, rssKb: r.rssKb, cpuMs: r.cpuMs })), base: rounds.base.map((r) => ({ ms: r.ms, rssKb: r.rssKb, cpuMs: r.cpuMs })), skopeo: rounds.skopeo.map((r) => ({ ms: r.ms, cpuMs: r.cpuMs })), pull: rounds.pull }, medians: t, ratioA, ratioB, rssMb }, null, 2)}\n`);
process.exitCode = failed.length > 0 || (process.env.BENCH_STRICT === "1" && !(targets.a && targets.b && targets.c)) ? 1 : 0;
cleanup();
