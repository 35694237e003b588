// What a private key's numbers cost the matcher (docs/performance.md, "Private key numbers").
// The matcher bench's kind of secrets with two real keys (RSA 2048 PKCS#8, EC P-256 SEC1)
// instead of its random PEM body; the matcher compiled as the scan compiles it
// (compileVariants: wrapped fragments included) with and without the key-material variants,
// StreamSearch over the bench's mixed data in 64 KiB chunks, CPU time, the two alternating in
// one process, median of RUNS.
// Run: node --import tsx bench/key-material.bench.mjs [MiB] [RUNS]
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { compileVariants } from "../src/match/variant-matcher.ts";
import { variantsOf } from "../src/match/variants.ts";
import { text } from "./haystack.mjs";

const MIB = 1024 * 1024;
const size = Number(process.argv[2] ?? 64) * MIB;
const runs = Number(process.argv[3] ?? 9);

function secrets() {
  const out = [];
  for (let i = 0; i < 13; i++) out.push(Buffer.from(randomBytes(24 + i * 3).toString("base64url")));
  out.push(Buffer.from(randomBytes(6).toString("base64url")));
  out.push(Buffer.from(`//registry.npmjs.org/:_authToken=npm_${randomBytes(27).toString("base64url")}\n`));
  out.push(Buffer.from(`DB_PASSWORD=${randomBytes(18).toString("base64url")}\nAPI_KEY=${randomBytes(30).toString("hex")}\n`));
  out.push(Buffer.from(JSON.stringify({ client_secret: randomBytes(24).toString("base64"), note: "x" })));
  out.push(Buffer.from(generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" })));
  out.push(Buffer.from(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "sec1", format: "pem" })));
  out.push(randomBytes(32));
  return out;
}


const hay = Buffer.allocUnsafe(size);
for (let at = 0; at < size; at += MIB) (Math.random() < 0.4 ? randomBytes(MIB) : text(MIB)).copy(hay, at);

const all = secrets()
  .flatMap((v, i) => variantsOf(`s${i}`, v))
  .filter((v) => v.bytes.length >= 8);
const sets = {
  without: all.filter((v) => !v.encoding.startsWith("key-material")),
  with: all,
};
const matchers = Object.fromEntries(Object.entries(sets).map(([name, variants]) => [name, compileVariants(variants)]));
for (const [name, m] of Object.entries(matchers)) console.log(`${name.padEnd(8)} ${sets[name].length} variants, ${m.variants.length} with wrapped forms`);

const CHUNK = 64 * 1024;
function cpu(m) {
  const t0 = process.cpuUsage();
  const search = m.streamSearch();
  let count = 0;
  for (let at = 0; at < size; at += CHUNK) search.push(hay.subarray(at, at + CHUNK), () => count++);
  search.end(() => count++);
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / 1000;
}
const times = { without: [], with: [] };
cpu(matchers.without);
cpu(matchers.with);
for (let r = 0; r < runs; r++) for (const name of r % 2 === 0 ? ["without", "with"] : ["with", "without"]) times[name].push(cpu(matchers[name]));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const name of Object.keys(times)) console.log(`${name.padEnd(8)} median ${median(times[name]).toFixed(0)} ms CPU for ${size / MIB} MiB (${times[name].map((t) => t.toFixed(0)).join(" ")})`);
console.log(`ratio with/without: ${(median(times.with) / median(times.without)).toFixed(3)}`);
