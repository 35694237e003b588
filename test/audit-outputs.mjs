#!/usr/bin/env node
// The suite's last word: every output of every CLI run recorded by test/helpers/cli.ts is
// searched for every secret any test used, in every encoding the scanner knows; and the
// places where safebuild writes secret files (the tmpfs roots /dev/shm, /run/user,
// $XDG_RUNTIME_DIR, and safebuild-* directories in the OS temp dir) are searched for raw
// values and for leftover safebuild-* directories. Any hit fails `npm test`.
//
// `::add-mask::` lines (GITHUB_ACTIONS=true) must carry the values by design: the runner
// reads them and masks its own logs; they are left out of the search.
import { readdirSync, readFileSync, statSync, lstatSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { variantsOf } from "../dist/match/variants.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const auditDir = process.env.SAFEBUILD_AUDIT_DIR ?? path.join(root, ".test-audit");
let records = [];
try {
  records = readdirSync(auditDir).filter((f) => f.endsWith(".json")).map((f) => JSON.parse(readFileSync(path.join(auditDir, f), "utf8")));
} catch {
  console.error(`output audit: no records in ${auditDir}: the integration suite did not run`);
  process.exit(1);
}
const secrets = new Map();
for (const r of records) for (const s of r.secrets) secrets.set(s, Buffer.from(s, "base64"));
const needles = [];
for (const [key, value] of secrets) {
  for (const v of variantsOf(key.slice(0, 8), value)) if (v.bytes.length >= 8) needles.push(v);
}
let leaks = 0;
for (const r of records) {
  for (const channel of ["stdout", "stderr"]) {
    const bytes = Buffer.from(
      Buffer.from(r[channel], "base64")
        .toString("latin1")
        .replace(/^::add-mask::.*$/gm, ""),
      "latin1",
    );
    for (const n of needles) {
      if (bytes.includes(n.bytes)) {
        leaks++;
        console.error(`output audit: LEAK (${n.encoding}) in ${channel} of: safebuild ${r.args.join(" ").slice(0, 120)}`);
      }
    }
  }
}

// Leftovers: raw values (length >= 8) in files under the places a run writes to.
const raw = [...secrets.values()].filter((b) => b.length >= 8);
const skip = new Set([auditDir, path.join(root, "node_modules"), path.join(root, ".bench"), path.join(root, ".git")]);
let files = 0;
function walk(dir, depth) {
  if (depth > 8 || skip.has(dir) || /(^|\/)(node_modules|\.npm|\.cache|\.git)$/.test(dir)) return;
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const full = path.join(dir, name);
    let info;
    try {
      info = lstatSync(full);
    } catch {
      continue;
    }
    if (info.isDirectory()) {
      if (/^safebuild-\d+-/.test(name)) {
        leaks++;
        console.error(`output audit: leftover temp directory ${full}`);
      }
      walk(full, depth + 1);
    } else if (info.isFile() && info.size > 0 && info.size < 8 * 1024 * 1024) {
      files++;
      let bytes;
      try {
        bytes = readFileSync(full);
      } catch {
        continue;
      }
      for (const value of raw) {
        if (bytes.includes(value)) {
          leaks++;
          console.error(`output audit: a secret value is in a file left behind: ${full}`);
          break;
        }
      }
    }
  }
}
for (const place of ["/dev/shm", "/run/user", process.env.XDG_RUNTIME_DIR]) {
  if (place && statSync(place, { throwIfNoEntry: false })?.isDirectory()) walk(place, 0);
}
for (const name of readdirSync(tmpdir())) {
  if (/^safebuild-\d+-/.test(name)) {
    leaks++;
    console.error(`output audit: leftover temp directory ${path.join(tmpdir(), name)}`);
  }
}
const outputs = records.length * 2;
console.log(`output audit: ${outputs} outputs and ${files} files searched for ${secrets.size} secrets (${needles.length} encodings)`);
console.log(leaks === 0 ? "output audit: no secret in any output or leftover file" : `output audit: ${leaks} problem(s)`);
process.exit(leaks === 0 ? 0 : 1);
