import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { engineAnswers } from "../../build/cli.js";
import { dockerArchive, tarOf } from "../../helpers/archives.js";
import { runCli } from "../../helpers/cli.js";
import { messageLines } from "../../faults/fault-kit.js";

// As root on the engine's host, `safebuild scan IMAGE` reads the image from dockerd's overlay2
// storage (docker's tar-split records and the layers' folders) instead of its export. The
// proof is the export's: same bytes (each layer's tar is its diff id), same report.
const DOCKER = "/usr/bin/docker";
const run = randomBytes(4).toString("hex");
const tag = `sbtest-engine-storage-${run}:1`;
const hostile = `sbtest-engine-storage-hostile-${run}:1`;
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
const withoutTime = (report: Report): Report => ({ ...report, stats: { ...report.stats, durationMs: 0 } });

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
    const archive = await dockerArchive([layer]);
    const loaded = spawnSync(DOCKER, ["load"], { input: archive, encoding: "utf8" });
    if (loaded.status !== 0) throw new Error(`docker load: ${loaded.stderr}`);
    const id = /Loaded image(?: ID)?: (\S+)/.exec(loaded.stdout)?.[1];
    execFileSync(DOCKER, ["tag", id!, hostile]);
  }, 300_000);
  afterAll(() => {
    spawnSync(DOCKER, ["rmi", "-f", tag, hostile, "hostile:1"], { stdio: "ignore" });
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
      ]),
    );
  });

  test("a layer whose file lies behind its own link out of its folder: refused, exit 4, the host's file unread", async () => {
    for (const mode of ["storage", "auto"]) {
      const cli = await runCli(["scan", hostile, "--secret", `host=${hostFile}`, "--no-rules"], { cwd: work, env: { SAFEBUILD_ENGINE_READ: mode }, secrets: [hostValue] });
      const stderr = cli.stderr.toString();
      expect(cli.code, stderr).toBe(4);
      expect(messageLines(stderr)).toEqual([expect.stringMatching(/^safebuild: image sbtest-engine-storage-hostile-\w+:1: layer sha256:[0-9a-f]{64} cannot be read from the engine's storage \(a file of the layer lies behind a link out of its folder\)$/)]);
    }
  });

  test("the export forced, or an unknown way to read: as asked", async () => {
    const bad = await scan("fast", tag);
    expect(bad.code).toBe(2);
    expect(messageLines(bad.stderr.toString())).toEqual(["safebuild: SAFEBUILD_ENGINE_READ must be auto, export or storage"]);
  });
});
