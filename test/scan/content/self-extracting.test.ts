import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, test } from "vitest";
import { sniffFormat } from "../../../src/scan/content/format.js";
import { appendedArchiveAt } from "../../../src/scan/content/script-payload.js";
import { buildNeedles } from "../../../src/scan/findings/needles.js";
import type { LayerScan } from "../../../src/scan/layer/layer-scan.js";
import { sniffCompression } from "../../../src/scan/layer/sniff-compression.js";
import { bzip2Of, xzOf, zstdOf } from "../../helpers/content-archives.js";
import { tarOf } from "../../helpers/archives.js";
import { contentHits, scanLayerInChunks, secret } from "../helpers.js";

// Shapes an adversarial sweep found passing as clean: zstd files that open with a skippable
// frame (every pzstd file), self-extracting scripts with a compressed tar after them (makeself),
// and git bundles. Each is read; a script that only looks like one stays quiet.

const value = `sbtest-selfx-${randomBytes(12).toString("hex")}`;
const needles = buildNeedles([secret("token", value)]);
const work = mkdtempSync(join(tmpdir(), "sbtest-selfx-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const scan = (layer: Buffer, chunk?: number): Promise<LayerScan> => scanLayerInChunks(needles, layer, chunk);
const found = contentHits;
const conf = (v: string): Buffer => Buffer.from(`agent.url=https://agent.example\nagent.key=${v}\n`);
const skippable = (payload: Buffer): Buffer => {
  const head = Buffer.alloc(8);
  head.writeUInt32LE(0x184d2a53, 0);
  head.writeUInt32LE(payload.length, 4);
  return Buffer.concat([head, payload]);
};
const installer = (payload: Buffer, script = "#!/bin/sh\n# installer\nARCHIVE=$(awk '/^__ARCHIVE__/ {print NR + 1; exit 0; }' \"$0\")\ntail -n +$ARCHIVE \"$0\" | tar xz -C /opt\nexit 0\n__ARCHIVE__\n"): Buffer =>
  Buffer.concat([Buffer.from(script), payload]);

describe("zstd that opens with a skippable frame", () => {
  test("pzstd's output (a skippable frame before each frame) is found; the layer reader takes such a layer too", async () => {
    const plain = join(work, "conf.txt");
    writeFileSync(plain, conf(value));
    execFileSync("pzstd", ["-q", "-f", plain, "-o", `${plain}.zst`]);
    const pz = readFileSync(`${plain}.zst`);
    expect(sniffFormat(pz)).toBe("zstd");
    expect(found(await scan(await tarOf([{ name: "backup/conf.txt.zst", data: pz }])))).toContain("zstd:backup/conf.txt.zst");
    expect(sniffCompression(skippable(zstdOf(Buffer.from("x"))))).toBe("zstd");
  });

  test("metadata in a skippable frame first, then the frame; a look-alike with another value is quiet", async () => {
    const file = skippable(Buffer.concat([Buffer.from("meta"), zstdOf(conf(value))]).subarray(0, 4));
    const leak = Buffer.concat([file, zstdOf(conf(value))]);
    expect(found(await scan(await tarOf([{ name: "a.zst", data: leak }])))).toContain("zstd:a.zst");
    expect(found(await scan(await tarOf([{ name: "a.zst", data: Buffer.concat([file, zstdOf(conf(value.slice(0, -2)))]) }])))).toEqual([]);
  });
});

describe("an archive after a script", () => {
  test.each([
    ["gzip", (t: Buffer) => gzipSync(t)],
    ["xz", (t: Buffer) => xzOf(t)],
    ["bzip2", (t: Buffer) => bzip2Of(t)],
    ["zstd", (t: Buffer) => zstdOf(t)],
    ["tar", (t: Buffer) => t],
  ])("a %s tar after the script: its files found with the chain", async (_name, compress) => {
    const payload = compress(await tarOf([{ name: "agent/agent.yaml", data: conf(value) }]));
    // the decoded stream holds the tar, so its level reports too; the member is what matters
    expect(found(await scan(await tarOf([{ name: "tmp/install.run", data: installer(payload) }])))).toContain("tar:tmp/install.run!/agent/agent.yaml");
  });

  test("makeself's own output is read", async () => {
    const dir = join(work, "payload");
    execFileSync("mkdir", ["-p", join(dir, "etc")]);
    writeFileSync(join(dir, "etc", "agent.conf"), conf(value));
    const run = join(work, "agent.run");
    execFileSync("makeself", ["--quiet", "--xz", dir, run, "agent", "true"], { stdio: "ignore" });
    const hits = found(await scan(await tarOf([{ name: "opt/agent.run", data: readFileSync(run) }])));
    expect(hits, hits.join(" ")).toContain("tar:opt/agent.run!/etc/agent.conf");
  });

  test("an installer over the 64 MiB gather limit streams its payload: the file after 70 MiB of payload is found", async () => {
    const big = await tarOf([
      { name: "agent/blob.bin", data: randomBytes(70 * 1024 * 1024) },
      { name: "agent/agent.yaml", data: conf(value) },
    ]);
    const hits = found(await scan(await tarOf([{ name: "tmp/big.run", data: installer(big) }]), 1024 * 1024));
    expect(hits).toContain("tar:tmp/big.run!/agent/agent.yaml");
  }, 60_000);

  test("scripts that only say the words stay quiet and are not opened", () => {
    const text = "#!/bin/sh\necho 'ustar' ustar\nBZh9 is bzip2's magic\nLZIP is lzip's\n" + " ".repeat(300) + "\nustar  \n";
    expect(appendedArchiveAt(Buffer.from(text))).toBe(-1);
    expect(appendedArchiveAt(Buffer.from("#!/bin/sh\nexit 0\n"))).toBe(-1);
    const payload = gzipSync(Buffer.from("x"));
    expect(appendedArchiveAt(installer(payload))).toBe(installer(payload).length - payload.length);
  });
});

describe("a git bundle", () => {
  test("a value committed, then removed: found in the bundle's pack; the clean bundle is quiet", async () => {
    const repo = join(work, "repo");
    const git = (...args: string[]): void => void execFileSync("git", ["-C", repo, "-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main", ...args], { stdio: "ignore" });
    execFileSync("mkdir", ["-p", repo]);
    git("init", "-q");
    writeFileSync(join(repo, "config.properties"), conf(value));
    git("add", ".");
    git("commit", "-qm", "add");
    writeFileSync(join(repo, "config.properties"), conf("REDACTED"));
    git("commit", "-qam", "scrub");
    git("bundle", "create", join(work, "repo.bundle"), "--all");
    const bundle = readFileSync(join(work, "repo.bundle"));
    expect(sniffFormat(bundle)).toBe("git-bundle");
    const hits = found(await scan(await tarOf([{ name: "app/repo.bundle", data: bundle }])));
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((h) => /^git-pack:app\/repo\.bundle!\/(blob|ofs-delta)@\d+$/.test(h)), hits.join(" ")).toBe(true);

    const cleanRepo = join(work, "clean");
    execFileSync("cp", ["-r", repo, cleanRepo]);
    execFileSync("rm", ["-rf", join(cleanRepo, ".git")]);
    const gitClean = (...args: string[]): void => void execFileSync("git", ["-C", cleanRepo, "-c", "user.name=t", "-c", "user.email=t@t", ...args], { stdio: "ignore" });
    gitClean("init", "-q");
    gitClean("add", ".");
    gitClean("commit", "-qm", "clean");
    gitClean("bundle", "create", join(work, "clean.bundle"), "--all");
    expect(found(await scan(await tarOf([{ name: "app/clean.bundle", data: readFileSync(join(work, "clean.bundle")) }])))).toEqual([]);
  });
});
