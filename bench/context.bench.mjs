#!/usr/bin/env node
// The context check (src/precheck/) on a generated context of 50,000 files, 500 MB, with 20
// secrets planted, against `tar -c` of the same context piped to /dev/null (what sending the
// context costs at least); runs alternate so machine load hits both alike. Target: ratio ≤ 1.5.
// Also its cost on a normal build's context (examples/private-npm): target < 50 ms.
//   npm run bench:context          BENCH_RUNS=5 BENCH_FILES=50000 BENCH_MB=500 npm run bench:context
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";

const repo = resolve(import.meta.dirname, "..");
const { runPrechecks } = await import(join(repo, "dist/precheck/run-prechecks.js"));
const { SecretValue } = await import(join(repo, "dist/secrets/secret-value.js"));
const { buildNeedles } = await import(join(repo, "dist/scan/findings/needles.js"));
const runs = Number(process.env.BENCH_RUNS ?? "3");
const fileCount = Number(process.env.BENCH_FILES ?? "50000");
const totalBytes = Number(process.env.BENCH_MB ?? "500") * 1024 * 1024;

const work = mkdtempSync(join(tmpdir(), "sbbench-context-"));
const secrets = Array.from({ length: 20 }, (_, i) => ({ id: `s${i}`, kind: "env", value: SecretValue.copyOf(Buffer.from(`sbbench-${randomBytes(18).toString("base64url")}`)) }));
try {
  // 50 directories of 1,000 files, sizes spread around the mean; secrets in 20 of them.
  const mean = Math.floor(totalBytes / fileCount);
  const filler = randomBytes(mean * 2).toString("base64").slice(0, mean * 2);
  for (let i = 0; i < fileCount; i += 1) {
    const dir = join(work, `d${Math.floor(i / 1000)}`);
    if (i % 1000 === 0) mkdirSync(dir);
    const size = Math.floor(mean / 2 + ((i * 7919) % mean));
    let body = filler.slice(0, size);
    const planted = secrets[i % 2500 === 0 ? i / 2500 : -1];
    if (planted !== undefined) body = `${body.slice(0, size >> 1)}${planted.value.expose().toString()}${body.slice(size >> 1)}`;
    writeFileSync(join(dir, `f${i}.txt`), body);
  }
  writeFileSync(join(work, "Dockerfile"), "FROM scratch\nCOPY . /app\n");
  const dockerfile = { path: join(work, "Dockerfile"), display: "Dockerfile", text: readFileSync(join(work, "Dockerfile"), "utf8") };
  const check = async (dir, df, given = secrets, needles = undefined) => {
    const started = performance.now();
    const result = await runPrechecks({ secrets: given, buildArgs: new Map(), target: undefined, dockerfile: df, contextDir: dir, ignore: [], needles });
    return { ms: performance.now() - started, findings: result.findings.length };
  };
  const tar = () => {
    const started = performance.now();
    // Piped through cat: GNU tar skips reading files when its archive is /dev/null itself.
    const r = spawnSync("bash", ["-c", "tar -C \"$1\" -cf - . | cat > /dev/null", "tar", work]);
    if (r.status !== 0) throw new Error(`tar failed: ${r.stderr}`);
    return performance.now() - started;
  };
  tar();
  await check(work, dockerfile); // warm the page cache for both alike
  const ours = [];
  const theirs = [];
  let findings = 0;
  for (let i = 0; i < runs; i += 1) {
    theirs.push(tar());
    const r = await check(work, dockerfile);
    ours.push(r.ms);
    findings = r.findings;
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const m = median(ours);
  const t = median(theirs);
  console.log(`context check: ${fileCount} files, ${(totalBytes / 1048576).toFixed(0)} MB, 20 secrets: ${m.toFixed(0)} ms (median of ${runs}); tar -c | cat > /dev/null: ${t.toFixed(0)} ms; ratio ${(m / t).toFixed(2)} (target ≤ 1.5); findings ${findings}`);

  const example = join(repo, "examples/private-npm");
  const small = { path: join(example, "Dockerfile"), display: "Dockerfile", text: readFileSync(join(example, "Dockerfile"), "utf8") };
  // A normal build: one secret; build.ts compiles the needles once for these checks and the scan.
  const one = secrets.slice(0, 1);
  const alone = [];
  const added = [];
  for (let i = 0; i < 9; i += 1) {
    alone.push((await check(example, small, one)).ms);
    added.push((await check(example, small, one, buildNeedles(one))).ms);
  }
  console.log(`checks on examples/private-npm (1 secret): ${median(added).toFixed(1)} ms added to a build (needles shared with the scan; target < 50 ms), ${median(alone).toFixed(1)} ms compiling them too (median of 9)`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
