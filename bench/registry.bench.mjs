// The registry scan benchmark of issue 14: `npm run bench:registry` (and part of `npm run bench`).
//
// The 1 GB bench image is pushed to the real distribution registry on a loopback port, then,
// in the same run, interleaved, medians of BENCH_RUNS:
//   (a) safebuild scan registry:HOST/bench/image:N  over  skopeo copy docker://… dir:TMP   target <= 1.10
//   (b) safebuild scan registry:…                   over  docker pull (of an image it has not pulled)  target <= 0.5
//   (c) peak RSS of the registry scans                                                         target <= 150 MB
// Each round pushes the image again with skopeo at another gzip level, so its blobs have
// digests the engine never saw and `docker pull` really downloads them. (The engine does hold
// the same layers by diff_id, from the bench image itself, so the pull may skip unpacking:
// if anything, the pull figure is a low one.) A scan that misses the planted secret fails the bench.
//
/* global fetch */
// env: BENCH_RUNS (3), BENCH_SIZE_MB (1024), SAFEBUILD_DOCKER, BENCH_STRICT=1,
//      SAFEBUILD_TEST_REGISTRY_BIN (/usr/bin/docker-registry).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { canMeasureRss, measure, median } from "./measure.mjs";
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
const cleanup = () => {
  if (pulled.length > 0) spawnSync(cfg.docker, ["rmi", "-f", ...pulled], { stdio: "ignore" });
  registry.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
};
process.on("exit", cleanup);
for (let i = 0; i < 100; i++) {
  try {
    await (await fetch(`http://${host}/v2/`)).arrayBuffer();
    break;
  } catch {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const scanEnv = { ...process.env, SAFEBUILD_DOCKER: cfg.docker, DOCKER_CONFIG: join(dir, "docker-config") };
const rounds = { scan: [], skopeo: [], pull: [] };
const checks = [];
for (let i = 1; i <= cfg.runs; i++) {
  const ref = `${host}/bench/image:${i}`;
  log(`round ${i}/${cfg.runs}: pushing ${ref} (gzip level ${i}; not timed)…`);
  const push = spawnSync("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", "--dest-compress", "--dest-compress-format", "gzip", "--dest-compress-level", String(i), `docker-archive:${cfg.tarPath}`, `docker://${ref}`], { encoding: "utf8" });
  if (push.status !== 0) throw new Error(`skopeo push failed: ${push.stderr.trim()}`);

  const scan = await measure(process.execPath, [cli, "scan", `registry:${ref}`, "--format", "json", ...secretArgs(cfg)], { rss: true, env: scanEnv, cwd: root });
  rounds.scan.push(scan);
  let found = false;
  try {
    found = JSON.parse(scan.stdout).findings.some((f) => f.secret === secrets.planted && f.path === image.plantedPath && f.layer?.index === image.plantedLayer);
  } catch {
    found = false;
  }
  checks.push({ ok: scan.code === 1 && found, why: `scan registry:${ref}: exit ${scan.code}${found ? "" : ", planted secret not reported"} ${scan.stderr.trim().split("\n").at(-1) ?? ""}` });

  const target = join(dir, `dir-${i}`);
  const skopeo = await measure("skopeo", ["copy", "--quiet", "--src-tls-verify=false", `docker://${ref}`, `dir:${target}`], {});
  if (skopeo.code !== 0) throw new Error(`skopeo copy failed: ${skopeo.stderr.trim()}`);
  rounds.skopeo.push(skopeo.ms);
  rmSync(target, { recursive: true, force: true });

  pulled.push(ref);
  const pull = await measure(cfg.docker, ["pull", "-q", ref], {});
  if (pull.code !== 0) throw new Error(`docker pull failed: ${pull.stderr.trim()}`);
  rounds.pull.push(pull.ms);
  spawnSync(cfg.docker, ["rmi", ref], { stdio: "ignore" });
}

const sec = (ms) => `${(ms / 1000).toFixed(2)} s`;
const all = (xs) => xs.map((ms) => (ms / 1000).toFixed(2)).join(" ");
const t = { scan: median(rounds.scan.map((r) => r.ms)), skopeo: median(rounds.skopeo), pull: median(rounds.pull) };
const rssValues = rounds.scan.map((r) => r.rssKb).filter((v) => v !== null);
const rssMb = rssValues.length ? Math.max(...rssValues) / 1024 : null;
const ratioA = t.scan / t.skopeo;
const ratioB = t.scan / t.pull;
const verdict = (ok) => (ok ? "ok" : "MISSED");
const targets = { a: ratioA <= 1.1, b: ratioB <= 0.5, c: rssMb !== null && rssMb <= 150 };
const rows = [
  ["skopeo copy docker://… dir:…", sec(t.skopeo), "", all(rounds.skopeo)],
  ["docker pull (new blobs)", sec(t.pull), "", all(rounds.pull)],
  ["safebuild scan registry:…", sec(t.scan), "", all(rounds.scan.map((r) => r.ms))],
  ["(a) scan / skopeo copy", ratioA.toFixed(3), "target <= 1.10", verdict(targets.a)],
  ["(b) scan / docker pull", ratioB.toFixed(3), "target <= 0.50", verdict(targets.b)],
  ["(c) peak RSS, registry scans (max)", rssMb === null ? "n/a" : `${rssMb.toFixed(0)} MB`, "target <= 150 MB", canMeasureRss ? verdict(targets.c) : "(no /usr/bin/time)"],
];
const w = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c].length)));
console.log(`\nsafebuild registry scan benchmark: ${cfg.tag} pushed to ${host}, ${image.layers} layers, 20 secrets, median of ${cfg.runs}\n`);
for (const r of rows) console.log(`${r[0].padEnd(w[0])}  ${r[1].padStart(w[1])}  ${r[2].padEnd(w[2])}  ${r[3]}`);
const failed = checks.filter((c) => !c.ok);
console.log(failed.length === 0 ? `\nplanted secret ${secrets.planted}: found by all ${checks.length} registry scans` : `\n!!! BENCH FAILED:\n${failed.map((f) => `!!! ${f.why}`).join("\n")}`);
writeFileSync(join(work, `last-registry-result-${cfg.sizeMb}mb.json`), `${JSON.stringify({ date: new Date().toISOString(), rounds: { scan: rounds.scan.map((r) => ({ ms: r.ms, rssKb: r.rssKb, cpuMs: r.cpuMs })), skopeo: rounds.skopeo, pull: rounds.pull }, medians: t, ratioA, ratioB, rssMb }, null, 2)}\n`);
process.exitCode = failed.length > 0 || (process.env.BENCH_STRICT === "1" && !(targets.a && targets.b && targets.c)) ? 1 : 0;
