// Matcher throughput: naive Buffer.indexOf per needle vs the Wu-Manber engine vs grep -F.
// 256 MiB of mixed random bytes and text, 20 secrets with every variant (>= 8 bytes).
// Run: node --import tsx bench/matcher.bench.mjs [MiB]
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileMatcher } from "../src/match/matcher.ts";
import { variantsOf } from "../src/match/variants.ts";
import { StreamSearch } from "../src/match/stream-search.ts";
import { createMasker } from "../src/redact/masker.ts";
import { text } from "./haystack.mjs";
import { SecretValue } from "../src/secrets/secret-value.ts";
import { Writable } from "node:stream";

const MIB = 1024 * 1024;
const size = Number(process.argv[2] ?? 256) * MIB;

function secrets() {
  const out = [];
  for (let i = 0; i < 13; i++) out.push(Buffer.from(randomBytes(24 + i * 3).toString("base64url")));
  out.push(Buffer.from(randomBytes(6).toString("base64url"))); // 8 bytes: the shortest the scanner takes
  out.push(Buffer.from(`//registry.npmjs.org/:_authToken=npm_${randomBytes(27).toString("base64url")}\n`));
  out.push(Buffer.from(`DB_PASSWORD=${randomBytes(18).toString("base64url")}\nAPI_KEY=${randomBytes(30).toString("hex")}\n`));
  out.push(Buffer.from(JSON.stringify({ client_secret: randomBytes(24).toString("base64"), note: "x" })));
  const body = randomBytes(1190).toString("base64").replace(/.{64}/g, "$&\n");
  out.push(Buffer.from(`-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`));
  out.push(randomBytes(32));
  out.push(Buffer.from(randomBytes(500 * 1024).toString("latin1").replace(/\n/g, " "), "latin1"));
  return out;
}


function haystack(values) {
  const pool = Buffer.alloc(16 * MIB);
  for (let at = 0; at < pool.length; at += MIB) {
    const piece = Math.random() < 0.4 ? randomBytes(MIB) : text(MIB);
    piece.copy(pool, at);
  }
  const out = Buffer.allocUnsafe(size);
  for (let at = 0; at < size; at += pool.length) pool.copy(out, at, 0, Math.min(pool.length, size - at));
  // Plant a few real occurrences, so the match path is exercised too.
  for (let i = 0; i < 8; i++) values[i].copy(out, Math.floor(((i + 1) * size) / 10));
  return out;
}

function time(label, bytes, fn) {
  const t0 = process.hrtime.bigint();
  const result = fn();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`${label.padEnd(44)} ${(bytes / MIB / s).toFixed(0).padStart(6)} MB/s  (${s.toFixed(2)} s, ${result} matches)`);
  return s;
}

const values = secrets();
const variants = values.flatMap((v, i) => variantsOf(`s${i}`, v)).filter((v) => v.bytes.length >= 8);
const needles = variants.map((v, tag) => ({ bytes: v.bytes, tag }));
const lengths = needles.map((n) => n.bytes.length);
console.log(`${needles.length} needles from ${values.length} secrets, lengths ${Math.min(...lengths)}..${Math.max(...lengths)}`);
const hay = haystack(values);
console.log(`haystack ${size / MIB} MiB`);

// The machine is shared: a plain byte loop shows what one core delivers right now.
time("calibration: plain byte-sum loop", size, () => {
  let sum = 0;
  for (let i = 0; i < hay.length; i++) sum += hay[i];
  return sum > 0 ? 0 : 0;
});
const matcher = compileMatcher(needles);
matcher.scan(hay.subarray(0, 32 * MIB), () => undefined); // JIT warm-up
time("wu-manber (compileMatcher.scan)", size, () => {
  let count = 0;
  matcher.scan(hay, () => count++);
  return count;
});
const CHUNK = 64 * 1024;
time("wu-manber, 64 KiB chunks via scanRange", size, () => {
  let count = 0;
  for (let at = 0; at < size; at += CHUNK) matcher.scan(hay.subarray(at, at + CHUNK), () => count++);
  return count;
});
time("StreamSearch, 64 KiB chunks", size, () => {
  let count = 0;
  const search = new StreamSearch(needles);
  for (let at = 0; at < size; at += CHUNK) search.push(hay.subarray(at, at + CHUNK), () => count++);
  search.end(() => count++);
  return count;
});
{
  // The masker on a build-log-like stream: text only, 4 KiB writes, every variant >= 4/8 bytes.
  const masker = createMasker({ env: {} });
  values.forEach((v, i) => masker.add(`s${i}`, SecretValue.copyOf(v)));
  const log = text(32 * MIB);
  const sink = new Writable({ write: (_c, _e, done) => done() });
  const stream = masker.wrap(sink);
  time("masker.wrap, 32 MiB of log text in 4 KiB writes", log.length, () => {
    for (let at = 0; at < log.length; at += 4096) stream.write(log.subarray(at, at + 4096));
    return 0;
  });
}
const naiveBytes = Math.min(size, 8 * MIB);
time(`naive indexOf per needle (first ${naiveBytes / MIB} MiB)`, naiveBytes, () => {
  const part = hay.subarray(0, naiveBytes);
  let count = 0;
  for (const n of needles) for (let at = part.indexOf(n.bytes); at !== -1; at = part.indexOf(n.bytes, at + 1)) count++;
  return count;
});

const dir = mkdtempSync(join(tmpdir(), "sb-matcher-bench-"));
try {
  const file = join(dir, "hay.bin");
  writeFileSync(file, hay);
  const singleLine = (b) => !b.includes(0x0a) && !b.includes(0x0d) && !b.includes(0);
  const rawFile = join(dir, "raw.txt");
  writeFileSync(rawFile, Buffer.concat(values.filter(singleLine).flatMap((v) => [v, Buffer.from("\n")])));
  const allFile = join(dir, "all.txt");
  writeFileSync(allFile, Buffer.concat(needles.map((n) => n.bytes).filter(singleLine).flatMap((b) => [b, Buffer.from("\n")])));
  const grep = (patterns) => () => {
    try {
      return execFileSync("grep", ["-a", "-c", "-F", "-f", patterns, file], { env: { ...process.env, LC_ALL: "C" } }).toString().trim();
    } catch (error) {
      return error.stdout?.toString().trim() ?? "?";
    }
  };
  time("LC_ALL=C grep -a -c -F -f (raw values)", size, grep(rawFile));
  // grep -F slows to a crawl with hundreds of long patterns: time it on a slice only.
  const sliceFile = join(dir, "slice.bin");
  const sliceBytes = Math.min(size, 16 * MIB);
  writeFileSync(sliceFile, hay.subarray(0, sliceBytes));
  time(`LC_ALL=C grep -a -c -F -f (all 1-line variants, ${sliceBytes / MIB} MiB)`, sliceBytes, () => {
    try {
      return execFileSync("grep", ["-a", "-c", "-F", "-f", allFile, sliceFile], { env: { ...process.env, LC_ALL: "C" } }).toString().trim();
    } catch (error) {
      return error.stdout?.toString().trim() ?? "?";
    }
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
