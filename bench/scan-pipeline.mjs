// A quick local harness for the scan pipeline (src/scan): times scanImage() in-process on a
// docker-archive and through the engine API, next to the baselines issue 3 compares against
// (`docker save > /dev/null`, `grep -c -F -f`, Node reading the same bytes and doing nothing),
// round-robin so machine load hits every variant alike. Medians of wall and CPU time.
//
//   node bench/scan-pipeline.mjs [--runs 5] [--tar FILE] [--image REF] [--only a,b] [--prof] [--before DIR] [--no-engine]
//
// The engine cases need REF (default: the image id of the tar's config) in the engine; it is
// `docker load`ed from the tar when missing. Made here: .bench/pipeline/image.tar (a copy of the bench's 200 MB image, tagged
// safebuild-bench:1-200mb) and .bench/pipeline/files.tar (12.5k real files from /usr/include,
// python3.11, perl, git-core, vim on local/busybox:1, tagged sbperf-scan-pipeline:files).
//
// Bundles src/ with esbuild first (no dist build needed). The tar defaults to .bench/pipeline/image.tar,
// copied from the bench's 200 MB image; secrets come from .bench/secrets (the bench's 20) or
// are made up. --prof writes one .cpuprofile per case to .bench/pipeline/prof and prints the
// hottest functions.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const work = join(root, ".bench", "pipeline");
const docker = process.env.SAFEBUILD_DOCKER || "/usr/bin/docker";

// ---- child: one measured case, result as JSON on stdout ------------------------------------
if (process.argv[2] === "--child") {
  const [, , , kind, ref, secretCount, bundle] = process.argv;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let extra = {};
  if (kind === "scan") {
    const { scanImage, SecretValue } = await import(bundle);
    const secrets = loadSecrets(Number(secretCount)).map((value, i) => ({ id: `s${i + 1}`, kind: "env", value: SecretValue.copyOf(value) }));
    const s0 = performance.now();
    const sc0 = process.cpuUsage();
    const result = await scanImage({ ref, secrets, env: process.env, cwd: root });
    const sc = process.cpuUsage(sc0);
    extra = { scanMs: performance.now() - s0, scanCpuMs: (sc.user + sc.system) / 1000, findings: result.findings.length, bytes: result.stats.bytes };
  } else if (kind === "read-file") {
    const { createReadStream } = await import("node:fs");
    let n = 0;
    for await (const chunk of createReadStream(ref, { highWaterMark: 1 << 20 })) n += chunk.length;
    extra = { bytes: n };
  } else if (kind === "read-engine") {
    const { request } = await import("node:http");
    const res = await new Promise((ok, ko) => request({ socketPath: "/var/run/docker.sock", path: `/images/${ref}/get`, headers: { Host: "docker" } }, ok).on("error", ko).end());
    let n = 0;
    for await (const chunk of res) n += chunk.length;
    extra = { bytes: n };
  }
  const c = process.cpuUsage(c0);
  const out = { ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000, rssMb: process.resourceUsage().maxRSS / 1024, ...extra };
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
}

function loadSecrets(count) {
  const dir = join(root, ".bench", "secrets");
  const files = existsSync(dir) ? readdirSync(dir).sort() : [];
  const values = files.map((f) => readFileSync(join(dir, f)));
  while (values.length < count) values.push(Buffer.from(randomBytes(24).toString("base64url")));
  return values.slice(0, count);
}

// ---- parent -------------------------------------------------------------------------------
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : args[at + 1];
};
const runs = Number(opt("runs", "5"));
const tar = opt("tar", join(work, "image.tar"));
const tarConfigId = () => {
  const manifest = JSON.parse(spawnSync("tar", ["-xOf", tar, "manifest.json"], { encoding: "utf8", maxBuffer: 1 << 24 }).stdout || "[]");
  const config = manifest[0]?.Config ?? "";
  return config ? `sha256:${config.replace(/^blobs\/sha256\//, "").replace(/\.json$/, "")}` : "";
};
const image = opt("image", "") || tarConfigId();
const prof = args.includes("--prof");
const only = opt("only", "")
  .split(",")
  .filter(Boolean);
if (!existsSync(tar)) throw new Error(`${tar} missing: copy a docker-archive there (see the header)`);
const patterns = join(work, "grep-patterns.txt");
writeFileSync(patterns, Buffer.concat(loadSecrets(20).map((v) => Buffer.concat([v.subarray(0, v.indexOf(10) === -1 ? v.length : v.indexOf(10)), Buffer.from("\n")]))), { mode: 0o600 });
const inspectId = () => spawnSync(docker, ["image", "inspect", "--format", "{{.Id}}", image], { encoding: "utf8" }).stdout.trim();
// the engine cases need the image in the engine: load it from the tar when it is not there
// (`docker rmi` it when done; the tar stays in .bench/, which is gitignored)
if (!inspectId() && !args.includes("--no-engine")) spawnSync(docker, ["load", "-q", "-i", tar], { stdio: ["ignore", "ignore", "inherit"] });
const imageId = args.includes("--no-engine") ? "" : inspectId();

// src/ bundled by esbuild into .bench/pipeline/build: the product's code, without tsx's loader in
// the profile or the RSS, and without touching dist/ (other engineers build it).
// --before DIR (a tree with its own src/, e.g. the committed src/scan next to today's src/match)
// adds the same scan cases for that tree, suffixed "@before", in the same rounds.
const { build } = await import("esbuild");
const bundleOf = async (tree, name) => {
  const outfile = join(work, "build", `${name}.mjs`);
  await build({
    stdin: { contents: 'export { scanImage } from "./src/scan/scan-image.ts"; export { SecretValue } from "./src/secrets/secret-value.ts";', resolveDir: tree, loader: "ts" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    sourcemap: true,
    outfile,
    logLevel: "warning",
  });
  return outfile;
};
const afterBundle = await bundleOf(root, "entry");
const beforeTree = opt("before", "");
const beforeBundle = beforeTree ? await bundleOf(beforeTree, "before") : "";
const tsx = [];
const self = fileURLToPath(import.meta.url);
const profDir = join(work, "prof");
if (prof) {
  rmSync(profDir, { recursive: true, force: true });
  mkdirSync(profDir, { recursive: true });
}
const nodeCase = (kind, ref, secrets, name, bundle = afterBundle) => ({
  name,
  node: true,
  argv: [...tsx, ...(prof ? ["--cpu-prof", "--cpu-prof-dir", join(profDir, name)] : []), self, "--child", kind, ref, String(secrets), bundle],
});
const scanCases = (suffix, bundle) => [
  nodeCase("scan", `docker-archive:${tar}`, 0, `scan-tar-0${suffix}`, bundle),
  nodeCase("scan", `docker-archive:${tar}`, 20, `scan-tar-20${suffix}`, bundle),
  ...(imageId
    ? [nodeCase("scan", `docker:${imageId}`, 0, `scan-engine-0${suffix}`, bundle), nodeCase("scan", `docker:${imageId}`, 20, `scan-engine-20${suffix}`, bundle)]
    : []),
];
const cases = [
  { name: "grep-tar", argv: ["sh", "-c", `LC_ALL=C grep -a -c -F -f '${patterns}' '${tar}' > /dev/null`] },
  nodeCase("read-file", tar, 0, "node-read-tar"),
  ...(imageId
    ? [
        { name: "docker-save", argv: ["sh", "-c", `${docker} save ${image} > /dev/null`] },
        nodeCase("read-engine", imageId, 0, "node-read-engine"),
      ]
    : []),
  ...scanCases("", afterBundle),
  ...(beforeBundle ? scanCases("@before", beforeBundle) : []),
].filter((c) => only.length === 0 || only.includes(c.name));

function run(c) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const [cmd, ...rest] = c.node ? [process.execPath, ...c.argv] : c.argv;
    const child = spawn(cmd, rest, { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
    const out = [];
    child.stdout.on("data", (d) => out.push(d));
    child.on("error", reject);
    child.on("close", (code) => {
      const wall = performance.now() - t0;
      if (code !== 0) return reject(new Error(`${c.name} exited ${code}`));
      resolve(c.node ? { wall, ...JSON.parse(Buffer.concat(out).toString()) } : { wall, ms: wall });
    });
  });
}

const median = (xs) => {
  const s = xs.filter((x) => x !== undefined).sort((a, b) => a - b);
  return s.length === 0 ? undefined : s[Math.floor((s.length - 1) / 2)];
};
const results = new Map(cases.map((c) => [c.name, []]));
const load0 = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
for (let r = 0; r < (prof ? 1 : runs); r++) {
  for (const c of cases) results.get(c.name).push(await run(c));
}
const load1 = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

const size = statSync(tar).size;
const rows = cases.map((c) => {
  const rs = results.get(c.name);
  const ms = median(rs.map((x) => x.scanMs ?? x.ms));
  return {
    case: c.name,
    ms: Math.round(ms),
    cpuMs: median(rs.map((x) => x.scanCpuMs ?? x.cpuMs)) && Math.round(median(rs.map((x) => x.scanCpuMs ?? x.cpuMs))),
    wallMs: Math.round(median(rs.map((x) => x.wall))),
    "MB/s": Math.round(size / 1e6 / (ms / 1000)),
    rssMb: median(rs.map((x) => x.rssMb)) && Math.round(median(rs.map((x) => x.rssMb))),
    findings: rs[0]?.findings,
    all: rs.map((x) => Math.round(x.scanMs ?? x.ms)).join(" "),
  };
});
console.log(`tar ${tar} (${(size / 1e6).toFixed(0)} MB), image ${image}, runs ${prof ? 1 : runs}, loadavg ${load0} -> ${load1}`);
console.table(rows);
const get = (name) => rows.find((r) => r.case === name)?.ms;
const ratio = (a, b) => (get(a) && get(b) ? (get(a) / get(b)).toFixed(2) : "n/a");
console.log(`(a) scan-engine-20 / docker-save = ${ratio("scan-engine-20", "docker-save")}   (b) scan-tar-20 / grep-tar = ${ratio("scan-tar-20", "grep-tar")}`);
if (beforeBundle) console.log(`before: (a) ${ratio("scan-engine-20@before", "docker-save")}   (b) ${ratio("scan-tar-20@before", "grep-tar")}`);

if (prof) {
  const { SourceMap } = await import("node:module");
  const maps = new Map([afterBundle, beforeBundle].filter(Boolean).map((b) => [b, new SourceMap(JSON.parse(readFileSync(`${b}.map`, "utf8")))]));
  const where = (cf) => {
    const map = [...maps].find(([b]) => cf.url.endsWith(b))?.[1];
    if (map) {
      const e = map.findEntry(cf.lineNumber, cf.columnNumber);
      if (e?.originalSource) return `${e.originalSource.replace(/^(\.\.\/)+/, "")}:${e.originalLine + 1}`;
    }
    return `${cf.url.replace(/^.*\/node_modules\//, "")}:${cf.lineNumber + 1}`;
  };
  for (const c of cases.filter((x) => x.node)) {
    const dir = join(profDir, c.name);
    const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
    if (!file) continue;
    const p = JSON.parse(readFileSync(join(dir, file), "utf8"));
    const self = new Map();
    p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
    const byKey = new Map();
    let total = 0;
    for (const n of p.nodes) {
      const us = self.get(n.id) ?? 0;
      total += us;
      const cf = n.callFrame;
      const key = `${cf.functionName || "(anon)"} ${where(cf)}`;
      byKey.set(key, (byKey.get(key) ?? 0) + us);
    }
    console.log(`\n${c.name}: top self time (of ${(total / 1000).toFixed(0)} ms)`);
    for (const [k, us] of [...byKey].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.PROFILE_TOP ?? 15))) {
      console.log(`  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`);
    }
  }
}
