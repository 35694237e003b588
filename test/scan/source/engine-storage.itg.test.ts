import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { engineAnswers } from "../../build/cli.js";
import { dockerArchive, fixChecksum, tarOf } from "../../helpers/archives.js";
import { runCli } from "../../helpers/cli.js";
import { messageLines } from "../../faults/fault-kit.js";

// As root on the engine's host, `safebuild scan IMAGE` reads the image from dockerd's overlay2
// storage (docker's tar-split records and the layers' folders) instead of its export. The
// proof is the export's: same bytes (each layer's tar is its diff id), same report.
const DOCKER = "/usr/bin/docker";
const run = randomBytes(4).toString("hex");
const tag = `sbtest-engine-storage-${run}:1`;
const hostile = `sbtest-engine-storage-hostile-${run}:1`;
const hostileLossy = `sbtest-engine-storage-hostile-lossy-${run}:1`;
const work = mkdtempSync(join(tmpdir(), "sbtest-engine-storage-"));
const value = `sbitg-${randomBytes(18).toString("base64url")}`;
const hostValue = `sbitg-host-${randomBytes(18).toString("base64url")}`;
const hostFile = join(tmpdir(), `sbtest-engine-storage-host-${run}`);

interface Report {
  findings: { path: string; where: string; deleted: boolean; layer: { index: number } | null }[];
  stats: Record<string, number>;
}
const scan = (mode: string, image: string, secrets: string[] = [value]) =>
  runCli(["scan", image, "--secret", `tok=${join(work, "token")}`, "--format", "json"], { cwd: work, env: { SAFEBUILD_ENGINE_READ: mode }, secrets });
/**
 * The report without its time, in a canonical order: a gzip file's findings arrive when its
 * inflating ends, so their order among the others follows timing, on either path.
 */
const withoutTime = (report: Report): unknown => canonical({ ...report, stats: { ...report.stats, durationMs: 0 } });
const canonical = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(canonical).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, canonical(v)]));
  return value;
};

// Under CI=true a missing engine throws here: these tests run or fail, never skip.
const up = engineAnswers();

describe.skipIf(!up)("an engine image read from the engine's storage", () => {
  beforeAll(async () => {
    writeFileSync(join(work, "token"), value);
    const ctx = join(work, "ctx");
    mkdirSync(ctx);
    writeFileSync(join(ctx, "leak.txt"), `${value}\n`);
    // what the export path has always handled, now from folders: a file deleted under an opaque
    // folder, hard links, a name that is not UTF-8, a gzip file, links, a file over 1 MiB
    const steps = [
      "FROM local/busybox:1",
      "COPY leak.txt /srv/conf/leak.txt",
      `RUN ln /srv/conf/leak.txt /srv/hard && gzip -c /srv/conf/leak.txt > /srv/leak.gz && ln -s /etc/passwd /srv/link && dd if=/dev/zero of=/srv/zero bs=1M count=3 2>/dev/null && cat /srv/conf/leak.txt >> /srv/zero && cp /srv/conf/leak.txt "/srv/$(printf 'n\\351')"`,
      "RUN rm -rf /srv/conf /srv/hard && mkdir /srv/conf && echo clean > /srv/conf/other",
      // a folder whose name is not UTF-8, holding the value
      `RUN mkdir -p "/srv/$(printf 'caf\\351')" && cp /srv/leak.gz "/srv/$(printf 'caf\\351')/leak.gz"`,
      // the same layer twice (one diff id at two places): docker save writes one tar for both
      "COPY leak.txt /dup/leak.txt",
      "RUN true",
      "COPY leak.txt /dup/leak.txt",
    ];
    writeFileSync(join(ctx, "Dockerfile"), steps.join("\n"));
    execFileSync(DOCKER, ["build", "-q", "-t", tag, ctx], { env: { ...process.env, DOCKER_BUILDKIT: "1" }, stdio: "ignore" });
    // A loaded image whose layer writes through its own link: `lib -> /tmp`, then `lib/NAME`.
    // dockerd unpacks it inside the layer's folder; its own export then follows the link on the
    // host (docker save reads the host's /tmp/NAME). Nothing outside the folder may be read.
    writeFileSync(hostFile, `${hostValue}\n`);
    const layer = await tarOf([
      { name: "tmp/", type: "directory" },
      { name: "lib", type: "symlink", linkname: "/tmp" },
      { name: `lib/sbtest-engine-storage-host-${run}`, data: Buffer.from("the layer's own bytes\n") },
    ]);
    // The same through a name that is not UTF-8 (`d\xff`), beside a real folder named as its
    // UTF-8 reading (`d\ufffd`): a check that reads names as text looks at the wrong folder.
    const lossy = await tarOf([
      { name: "d\ufffd/", type: "directory" },
      { name: "tmp/", type: "directory" },
      { name: "dX", type: "symlink", linkname: "/tmp" },
      { name: `dX/sbtest-engine-storage-host-${run}`, data: Buffer.from("the layer's own bytes\n") },
    ]);
    // tar-stream writes names as text: the link's name becomes `d\xff` in place
    for (let at = 0; at < lossy.length; at += 512) {
      if (lossy.toString("latin1", at, at + 2) !== "dX" || lossy.toString("latin1", at + 257, at + 262) !== "ustar") continue;
      lossy[at + 1] = 0xff;
      fixChecksum(lossy.subarray(at, at + 512));
    }
    for (const [name, layers] of [
      [hostile, [layer]],
      [hostileLossy, [lossy]],
    ] as const) {
      const loaded = spawnSync(DOCKER, ["load"], { input: await dockerArchive(layers), encoding: "utf8" });
      if (loaded.status !== 0) throw new Error(`docker load: ${loaded.stderr}`);
      const id = /Loaded image(?: ID)?: (\S+)/.exec(loaded.stdout)?.[1];
      execFileSync(DOCKER, ["tag", id!, name]);
    }
  }, 300_000);
  afterAll(() => {
    spawnSync(DOCKER, ["rmi", "-f", tag, hostile, hostileLossy, "hostile:1"], { stdio: "ignore" });
    rmSync(work, { recursive: true, force: true });
    rmSync(hostFile, { force: true });
  });

  test("the same report as from the export: every leak, deletions and names as the export has them", async () => {
    const stored = await scan("storage", tag);
    const exported = await scan("export", tag);
    const auto = await scan("auto", tag);
    for (const cli of [stored, exported, auto]) expect(cli.code, cli.stderr.toString()).toBe(1);
    const report = JSON.parse(stored.stdout.toString()) as Report;
    expect(withoutTime(report)).toEqual(withoutTime(JSON.parse(exported.stdout.toString()) as Report));
    expect(withoutTime(report)).toEqual(withoutTime(JSON.parse(auto.stdout.toString()) as Report));
    const files = report.findings.filter((f) => f.where === "file").map((f) => [f.layer?.index, f.path, f.deleted]);
    expect(files).toEqual(
      expect.arrayContaining([
        [1, "srv/conf/leak.txt", true],
        [2, "srv/conf/leak.txt", true],
        [2, "srv/leak.gz", false],
        [2, "srv/zero", false],
        [2, "srv/n\ufffd", false],
        [4, "srv/caf\ufffd/leak.gz", false],
        [5, "dup/leak.txt", true],
        [7, "dup/leak.txt", false],
      ]),
    );
  });

  test.each([
    ["lib -> /tmp", () => hostile],
    ["a link named d\\xff beside a folder d\\ufffd", () => hostileLossy],
  ])("a layer whose file lies behind its own link out of its folder (%s): refused, exit 4, the host's file unread", async (_, image) => {
    for (const mode of ["storage", "auto"]) {
      const cli = await runCli(["scan", image(), "--secret", `host=${hostFile}`, "--no-rules"], { cwd: work, env: { SAFEBUILD_ENGINE_READ: mode }, secrets: [hostValue] });
      const stderr = cli.stderr.toString();
      expect(cli.code, stderr).toBe(4);
      expect(messageLines(stderr)).toEqual([expect.stringMatching(/^safebuild: image sbtest-engine-storage-hostile-[\w-]+:1: layer sha256:[0-9a-f]{64} cannot be read from the engine's storage \(a file of the layer lies behind a link out of its folder\)$/)]);
    }
  });

  test("the export forced, or an unknown way to read: as asked", async () => {
    const bad = await scan("fast", tag);
    expect(bad.code).toBe(2);
    expect(messageLines(bad.stderr.toString())).toEqual(["safebuild: SAFEBUILD_ENGINE_READ must be auto, export or storage"]);
  });
});

