// False masking on real build logs: builds the examples and a noisy context (hex, base64 and
// od dumps of real binaries, a recursive listing, the environment) with `docker build
// --progress=plain`, then masks each raw log with realistic secrets that none of them prints.
// Every line the masker changes is a false mask. Run: node --import tsx bench/log-masking.mjs
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMasker } from "../src/redact/masker.ts";
import { SecretValue } from "../src/secrets/secret-value.ts";
import * as s from "../test/match/structured/samples.ts";

const DOCKER = process.env.SAFEBUILD_DOCKER ?? "/usr/bin/docker";
const work = mkdtempSync(join(tmpdir(), "sbtest-log-masking-"));
const secrets = {
  npmrc: s.npmrc(),
  npm_token: `npm_${randomBytes(27).toString("base64url")}`,
  aws: s.awsCredentials(),
  awsconfig: s.awsConfig(),
  dotenv: s.dotenv(),
  gcp: s.serviceAccount(),
  kube: s.kubeconfig(),
  pem: s.pemKey(),
  hex: randomBytes(32).toString("hex"),
  b64: randomBytes(30).toString("base64"),
  phrase: "correct horse battery staple",
  short: "hunter2!",
};
for (const [id, value] of Object.entries(secrets)) writeFileSync(join(work, id), value);
const secretArgs = Object.keys(secrets).flatMap((id) => ["--secret", `id=${id},src=${join(work, id)}`]);

const noisy = mkdtempSync(join(work, "noisy-"));
writeFileSync(
  join(noisy, "Dockerfile"),
  [
    "FROM local/busybox:1",
    "RUN od -c /bin/busybox | head -n 4000; od -An -tx1 /bin/busybox | head -n 4000",
    "RUN xxd /bin/busybox | head -n 4000; hexdump -C /bin/busybox | head -n 4000",
    "RUN base64 /bin/busybox | head -n 4000; base64 -w 20 /bin/busybox | head -n 2000; fold -w 16 /etc/passwd",
    "RUN ls -laR / 2>/dev/null | head -n 4000; env; cat /proc/cpuinfo /etc/os-release 2>/dev/null; sha256sum /bin/* | head -n 400",
    "",
  ].join("\n"),
);

const contexts = ["examples/private-npm", "examples/ci", "examples/leaky", "examples/leaky-build-arg", noisy];
const logs = [];
for (const ctx of contexts) {
  const tag = `sbtest-log-masking-${randomBytes(4).toString("hex")}`;
  const run = spawnSync(DOCKER, ["build", "--progress=plain", "--no-cache", "--build-arg", "BASE=local/busybox:1", ...secretArgs, "-t", tag, ctx], {
    env: { ...process.env, DOCKER_BUILDKIT: "1" },
    maxBuffer: 1 << 30,
  });
  spawnSync(DOCKER, ["rmi", "-f", tag]);
  logs.push([ctx.startsWith(work) ? "noisy (dumps of /bin/busybox)" : ctx, Buffer.concat([run.stdout, run.stderr])]);
}

const masker = createMasker({ env: {} });
for (const [id, value] of Object.entries(secrets)) masker.add(id, SecretValue.copyOf(Buffer.from(value)));
let allLines = 0;
let allChanged = 0;
for (const [name, log] of logs) {
  const before = log.toString("latin1").split("\n");
  const started = process.hrtime.bigint();
  const masked = masker.maskBuffer(log);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const after = masked.toString("latin1").split("\n");
  const changed = after.length === before.length ? before.filter((line, i) => line !== after[i]) : before;
  allLines += before.length;
  allChanged += changed.length;
  console.log(`${name}: ${before.length} lines, ${log.length} bytes, ${changed.length} changed (masked in ${ms.toFixed(1)} ms)`);
  for (const line of changed.slice(0, 5)) console.log(`  changed: ${line.slice(0, 120)}`);
}
console.log(`total: ${allLines} lines, ${allChanged} changed by masking with ${Object.keys(secrets).length} secrets none of them prints`);
masker.wipe();
rmSync(work, { recursive: true, force: true });
