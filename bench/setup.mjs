// Everything the scan benchmark needs before it can measure: its settings, the 20
// secrets (made once), the bench image (built once) and its `docker save` tarball
// (written once). Big files live in .bench/ (gitignored) and are reused across runs.
import { spawnSync } from "node:child_process";
import { generateKeyPairSync, randomBytes, randomInt } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

export const root = dirname(dirname(fileURLToPath(import.meta.url)));
export const work = join(root, ".bench");

/** Settings from the environment; a smaller BENCH_SIZE_MB gets its own image and tarball. */
export function benchConfig(env = process.env) {
  const sizeMb = positiveInt(env.BENCH_SIZE_MB ?? "1024", "BENCH_SIZE_MB");
  const runs = positiveInt(env.BENCH_RUNS ?? "3", "BENCH_RUNS");
  const docker = env.SAFEBUILD_DOCKER || "/usr/bin/docker";
  const isDefault = sizeMb === 1024;
  return {
    sizeMb,
    runs,
    docker,
    tag: isDefault ? "safebuild-bench:1" : `safebuild-bench:1-${sizeMb}mb`,
    tarPath: join(work, isDefault ? "image.tar" : `image-${sizeMb}mb.tar`),
    buildDir: join(work, `build-${sizeMb}mb`),
    secretsDir: join(work, "secrets"),
    grepPatterns: join(work, "grep-patterns.txt"),
    benchIdFile: join(work, "bench-id"),
  };
}

function positiveInt(text, name) {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const pick = (alphabet, n) => Array.from({ length: n }, () => alphabet[randomInt(alphabet.length)]).join("");
const b64url = (n) => randomBytes(n).toString("base64url");
const hex = (n) => randomBytes(n).toString("hex");

/**
 * The 20 secrets, in realistic shapes. s01 is the one planted in the image. Some end
 * with a newline (as files written by editors do), some span several lines.
 */
function makeSecrets() {
  const npm = () => `npm_${pick(alnum, 36)}`;
  const awsId = `AKIA${pick(upper, 16)}`;
  const awsKey = randomBytes(30).toString("base64");
  const pem = generateKeyPairSync("ec", { namedCurve: "prime256v1" })
    .privateKey.export({ type: "pkcs8", format: "pem" })
    .toString();
  const jwtPart = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return {
    s01: npm(),
    s02: `${npm()}\n`,
    s03: `ghp_${pick(alnum, 36)}`,
    s04: `github_pat_${pick(alnum, 22)}_${pick(alnum, 59)}`,
    s05: awsId,
    s06: awsKey,
    s07: `[default]\naws_access_key_id = AKIA${pick(upper, 16)}\naws_secret_access_key = ${randomBytes(30).toString("base64")}\n`,
    s08: pem,
    s09: JSON.stringify({
      type: "service_account",
      project_id: `bench-${hex(4)}`,
      private_key_id: hex(20),
      client_email: `ci-${hex(3)}@bench.iam.example.com`,
      client_secret: b64url(24),
    }),
    s10: `//registry.npmjs.org/:_authToken=${npm()}\nalways-auth=true\n`,
    s11: `gho_${pick(alnum, 36)}`,
    s12: `xoxb-${randomInt(1e11, 1e12 - 1)}-${randomInt(1e11, 1e12 - 1)}-${pick(alnum, 24)}`,
    s13: `sk_live_${pick(alnum, 48)}`,
    s14: `postgres://app:${b64url(18)}@db.internal.example.com:5432/app`,
    s15: hex(32),
    s16: `${jwtPart({ alg: "HS256", typ: "JWT" })}.${jwtPart({ sub: hex(8), iat: 1700000000 })}.${b64url(32)}`,
    s17: `DATABASE_PASSWORD=${b64url(18)}\nSESSION_SECRET=${hex(24)}\nSMTP_PASSWORD=${b64url(12)}\n`,
    s18: JSON.stringify({ auths: { "registry.example.com": { auth: Buffer.from(`ci:${b64url(24)}`).toString("base64") } } }),
    s19: b64url(32),
    s20: `ghs_${pick(alnum, 36)}\n`,
  };
}

/** Writes the secrets once (and a bench id tying the image to them); later runs reuse them. */
export function ensureSecrets(cfg) {
  mkdirSync(cfg.secretsDir, { recursive: true });
  if (!existsSync(cfg.benchIdFile) || readdirSync(cfg.secretsDir).length !== 20) {
    for (const [id, value] of Object.entries(makeSecrets())) {
      writeFileSync(join(cfg.secretsDir, id), value, { mode: 0o600 });
    }
    writeFileSync(cfg.benchIdFile, `${hex(8)}\n`);
  }
  // grep gets each secret's first line (the raw value for one-line secrets).
  const firstLines = secretIds(cfg).map((id) => readFileSync(join(cfg.secretsDir, id), "utf8").split("\n")[0]);
  writeFileSync(cfg.grepPatterns, `${firstLines.join("\n")}\n`, { mode: 0o600 });
  return { benchId: readFileSync(cfg.benchIdFile, "utf8").trim(), planted: "s01" };
}

export function secretIds(cfg) {
  return readdirSync(cfg.secretsDir).sort();
}

/** `--secret ID=PATH` for every bench secret (paths, never values, in argv). */
export function secretArgs(cfg) {
  return secretIds(cfg).flatMap((id) => ["--secret", `${id}=${join(cfg.secretsDir, id)}`]);
}

function docker(cfg, args, opts = {}) {
  return spawnSync(cfg.docker, args, { encoding: "utf8", maxBuffer: 1 << 20, ...opts });
}

/** 2: a seventh layer of archives (jars, wheels) the scan opens (issue 13). */
const IMAGE_VERSION = 2;

/** Builds the bench image unless one with the same bench id exists. Returns its id and the planted file's path. */
export function ensureImage(cfg, { benchId, planted }, log) {
  const plantedPathFile = join(cfg.buildDir, "planted-path");
  const label = docker(cfg, ["image", "inspect", "--format", '{{index .Config.Labels "safebuild.bench.id"}}', cfg.tag]);
  // the image's own version after the bench id: a change to make-bench-image.sh rebuilds it
  const wanted = `${benchId}-${IMAGE_VERSION}`;
  if (label.status !== 0 || label.stdout.trim() !== wanted || !existsSync(plantedPathFile)) {
    log(`building ${cfg.tag} (${cfg.sizeMb} MB; once, then reused)…`);
    const t0 = performance.now();
    mkdirSync(cfg.buildDir, { recursive: true });
    const made = spawnSync(
      "bash",
      [join(root, "bench", "make-bench-image.sh"), String(cfg.sizeMb), cfg.tag, cfg.buildDir, join(cfg.secretsDir, planted), wanted],
      { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, SAFEBUILD_DOCKER: cfg.docker } },
    );
    if (made.status !== 0) throw new Error(`make-bench-image.sh failed (exit ${made.status})`);
    log(`built ${cfg.tag} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const id = docker(cfg, ["image", "inspect", "--format", "{{.Id}}", cfg.tag]).stdout.trim();
  const layers = docker(cfg, ["image", "inspect", "--format", "{{len .RootFS.Layers}}", cfg.tag]).stdout.trim();
  return { id, layers: Number(layers), plantedPath: readFileSync(plantedPathFile, "utf8").trim(), plantedLayer: 4 };
}

/** Saves the image to its tarball once; a stamp with the image id says whether the tarball is current. */
export function ensureTar(cfg, imageId, log) {
  const stamp = `${cfg.tarPath}.id`;
  if (existsSync(cfg.tarPath) && existsSync(stamp) && readFileSync(stamp, "utf8").trim() === imageId) return;
  log(`saving ${cfg.tag} to ${cfg.tarPath} (once)…`);
  const tmp = `${cfg.tarPath}.tmp`;
  const saved = docker(cfg, ["save", "-o", tmp, cfg.tag], { stdio: ["ignore", "inherit", "inherit"] });
  if (saved.status !== 0) {
    rmSync(tmp, { force: true });
    throw new Error(`docker save failed (exit ${saved.status})`);
  }
  renameSync(tmp, cfg.tarPath);
  writeFileSync(stamp, `${imageId}\n`);
}
