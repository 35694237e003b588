import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { engineAnswers } from "../build/cli.js";
import { dockerArchive, tarOf } from "../helpers/archives.js";
import { runCli } from "../helpers/cli.js";
import { arOf, jarOf, jmodOf, lz4Of, lzipOf, sfxOf, pngOf, rpmOf, sevenZipOf, xzOf, zipOf } from "../helpers/content-archives.js";

const DOCKER = "/usr/bin/docker";
const run = Math.random().toString(36).slice(2, 8);
const leakyTag = `content-decoders-leaky-${run}:1`;
const bombTag = `content-decoders-bomb-${run}:1`;
const sevenTag = `content-decoders-7z-${run}:1`;
const aptTag = `content-decoders-apt-${run}:1`;
const work = mkdtempSync(join(tmpdir(), "content-decoders-itg-"));
const value = `sbitg-${randomBytes(18).toString("base64url")}`;
const properties = (v: string): Buffer => Buffer.from(`spring.datasource.url=jdbc:postgresql://db/app\nspring.datasource.password=${v}\n`);

interface Report {
  findings: { path: string; where: string; container?: string; layer: { index: number } | null }[];
  notSearched: { path: string; reason: string; layer: { index: number } }[];
}

const build = (dir: string, tag: string, dockerfile: readonly string[], secretFile?: string): void => {
  writeFileSync(join(dir, "Dockerfile"), dockerfile.join("\n"));
  const secretArgs = secretFile === undefined ? [] : ["--secret", `id=token,src=${secretFile}`];
  execFileSync(DOCKER, ["build", "-q", ...secretArgs, "-t", tag, dir], { env: { ...process.env, DOCKER_BUILDKIT: "1" }, stdio: "ignore" });
};

// Under CI=true a missing engine throws here: these tests run or fail, never skip.
const up = engineAnswers();

describe.skipIf(!up)("archives inside layers, built by the engine and scanned through the CLI", () => {
  const secretFile = join(work, "token");
  beforeAll(async () => {
    writeFileSync(secretFile, value);
    const leaky = join(work, "leaky");
    const bomb = join(work, "bomb");
    execFileSync("mkdir", ["-p", leaky, bomb]);
    // shapes busybox cannot make: a jar (deflated), a .deb, an image archive (docker save), xz
    writeFileSync(join(leaky, "db.conf.xz"), xzOf(properties(value)));
    writeFileSync(join(leaky, "app.jar"), zipOf([{ name: "META-INF/MANIFEST.MF", data: Buffer.from("Manifest-Version: 1.0\n") }, { name: "BOOT-INF/classes/application.properties", data: properties(value) }]));
    writeFileSync(join(leaky, "tool.deb"), arOf([["debian-binary", Buffer.from("2.0\n")], ["data.tar.xz", xzOf(await tarOf([{ name: "./etc/tool/tool.conf", data: properties(value) }]))]]));
    // a Spring Boot fully executable jar (its launch script first) and a Python zipapp (`#!` line first)
    writeFileSync(join(leaky, "run.jar"), zipOf([{ name: "BOOT-INF/classes/application.properties", data: properties(value) }], { prefix: Buffer.from("#!/bin/bash\n# launch script\nexec java -jar \"$0\" \"$@\"\n") }));
    writeFileSync(join(leaky, "tool.pyz"), zipOf([{ name: "__main__.py", data: Buffer.from("import tool\n") }, { name: "tool/settings.py", data: properties(value) }], { prefix: Buffer.from("#!/usr/bin/env python3\n") }));
    // a comment a build wrote into an image's compressed text chunk
    writeFileSync(join(leaky, "logo.png"), pngOf([["zTXt", Buffer.concat([Buffer.from("Comment\0\0"), deflateSync(properties(value))])]]));
    // an rpm built by rpmbuild (xz payload: a cpio) and an lzip file
    writeFileSync(join(leaky, "tool.rpm"), rpmOf([["tool.conf", properties(value)]], "w6.xzdio"));
    writeFileSync(join(leaky, "db.conf.lz"), lzipOf(properties(value)));
    // a fat jar over the 64 MiB gather limit, written by the JDK's jar tool: read as it streams
    const libs = Array.from({ length: 5 }, (_, i) => [`BOOT-INF/lib/lib-${i}.bin`, randomBytes(14 * 1024 * 1024)] as const);
    writeFileSync(join(leaky, "fat.jar"), jarOf([...libs, ["BOOT-INF/classes/application.properties", properties(value)]]));
    // a zip over 64 MiB written to a pipe with zip64 (Python's zipfile, stream-zip): sizes after each entry's data
    writeFileSync(join(leaky, "bundle.zip"), zipOf([{ name: "big.bin", data: randomBytes(66 * 1024 * 1024) }, { name: "conf/app.env", data: properties(value) }], { dataDescriptor: true, zip64: true }));
    // a toolchain kept as a .tar.xz that decodes past 64 MiB: read as it streams
    const toolchain = await tarOf([
      { name: "toolchain/bin/cc", data: randomBytes(66 * 1024 * 1024) },
      { name: "toolchain/etc/registry.conf", data: properties(value) },
    ]);
    writeFileSync(join(leaky, "toolchain.tar.xz"), xzOf(toolchain, ["-0"]));
    writeFileSync(join(leaky, "saved.tar"), await dockerArchive([await tarOf([{ name: "etc/app.conf", data: properties(value) }])]));
    // made by the real tools: pzstd (a skippable frame first), a makeself installer, a git bundle of a scrubbed commit
    writeFileSync(join(work, "db.conf"), properties(value));
    execFileSync("pzstd", ["-q", "-f", join(work, "db.conf"), "-o", join(leaky, "db.conf.zst")]);
    execFileSync("mkdir", ["-p", join(work, "agent", "etc"), join(work, "repo")]);
    writeFileSync(join(work, "agent", "etc", "agent.conf"), properties(value));
    execFileSync("makeself", ["--quiet", "--gzip", join(work, "agent"), join(leaky, "agent.run"), "agent", "true"], { stdio: "ignore" });
    const git = (...args: string[]): void => void execFileSync("git", ["-C", join(work, "repo"), "-c", "user.name=t", "-c", "user.email=t@t", ...args], { stdio: "ignore" });
    git("init", "-q");
    writeFileSync(join(work, "repo", "application.properties"), properties(value));
    git("add", ".");
    git("commit", "-qm", "add");
    writeFileSync(join(work, "repo", "application.properties"), properties("REDACTED"));
    git("commit", "-qam", "scrub");
    git("bundle", "create", join(leaky, "repo.bundle"), "--all");
    // a self-extracting zip (Info-ZIP's unzipsfx stub, zip -A)
    writeFileSync(join(leaky, "installer"), sfxOf(zipOf([{ name: "conf/app.properties", data: properties(value) }])));
    // a JDK module file of the app's own, its config inside (jmod create)
    writeFileSync(join(leaky, "app.jmod"), jmodOf([["app.properties", properties(value)]]));
    // apt's lists as Debian and Ubuntu images keep them (Acquire::GzipIndexes): lz4, linked 64 KiB blocks
    const packages = (extra: string): Buffer => Buffer.concat([readFileSync("/var/lib/dpkg/status"), Buffer.from(extra)]);
    writeFileSync(join(leaky, "Packages.lz4"), lz4Of(packages(`\nPackage: internal-tool\nDescription: fetched with ${value}\n`), ["-B4", "-BD"]));
    build(
      leaky,
      leakyTag,
      [
        "FROM local/busybox:1",
        "COPY app.jar /app/app.jar",
        "COPY tool.deb /var/cache/tool.deb",
        "COPY run.jar tool.pyz /opt/",
        "COPY logo.png /srv/static/logo.png",
        "COPY saved.tar /backup/saved.tar",
        "COPY db.conf.xz /db.conf.xz",
        "COPY tool.rpm db.conf.lz /pkgs/",
        "COPY fat.jar /app/fat.jar",
        "COPY toolchain.tar.xz bundle.zip /opt/",
        "COPY db.conf.zst agent.run repo.bundle /opt/extra/",
        "COPY Packages.lz4 /var/lib/apt/lists/repo.example_dists_stable_main_binary-amd64_Packages.lz4",
        "COPY app.jmod /opt/jdk/jmods/app.jmod",
        "COPY installer /opt/installer",
        // shapes busybox makes from the mounted secret (its xz only decompresses): a .tgz inside a .tar.gz, bzip2
        // a payload kept as text: gzip | base64
        "RUN --mount=type=secret,id=token gzip -c /run/secrets/token | base64 > /opt/payload.b64",
        "RUN --mount=type=secret,id=token mkdir -p /tmp/s/conf && cp /run/secrets/token /tmp/s/conf/db.conf && cd /tmp/s && tar czf /tmp/inner.tgz conf && cd /tmp && tar czf /srv.tar.gz inner.tgz && bzip2 -c /tmp/s/conf/db.conf > /db.conf.bz2 && rm -rf /tmp/s /tmp/inner.tgz",
      ],
      secretFile,
    );
    // 100 MiB of zeros in a small lzip file: lzip is decoded in memory, so cut at the per-file limit
    writeFileSync(join(bomb, "bomb.lz"), lzipOf(Buffer.alloc(100 * 1024 * 1024)));
    build(bomb, bombTag, ["FROM local/busybox:1", "COPY bomb.lz /data/bomb.lz"]);
    // a 7z archive (LZMA2): recognised, not decoded
    const seven = join(work, "seven");
    execFileSync("mkdir", ["-p", seven]);
    // compressible around the value, so LZMA2 compresses the chunk rather than storing it
    writeFileSync(join(seven, "conf.7z"), sevenZipOf([["conf/app.properties", Buffer.concat([Buffer.from("logging.level.root=INFO\n".repeat(200)), properties(value)])]]));
    build(seven, sevenTag, ["FROM local/busybox:1", "COPY conf.7z /data/conf.7z"]);
    // the clean look-alike: an image that ran `apt-get update` and kept its lists
    const apt = join(work, "apt");
    execFileSync("mkdir", ["-p", join(apt, "lists")]);
    writeFileSync(join(apt, "lists", "deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4"), lz4Of(packages(""), ["-B4", "-BD"]));
    // and a database dump kept gzipped: 100 MiB of rows, far past 64 MiB, in 1 MiB or so
    const rows = Array.from({ length: 2000 }, (_, i) => `INSERT INTO events VALUES (${i}, 'page_view', '/products/${i % 97}', '2026-11-${String((i % 28) + 1).padStart(2, "0")}');\n`).join("");
    const dump = Buffer.from(rows.repeat(Math.ceil((100 * 1024 * 1024) / rows.length)));
    writeFileSync(join(apt, "dump.sql.gz"), gzipSync(dump));
    // and a source tarball kept as .tar.xz that decodes past 64 MiB (it made an image INCOMPLETE)
    writeFileSync(join(apt, "src.tar.xz"), xzOf(await tarOf([{ name: "src/data/events.sql", data: dump.subarray(0, 80 * 1024 * 1024) }]), ["-0"]));
    // and the JDK's own java.base module (ci-deps installs the JDK), opened now
    const jdk = ["/usr/lib/jvm"].flatMap((d) => (existsSync(d) ? readdirSync(d).map((n) => join(d, n, "jmods", "java.base.jmod")) : [])).find((f) => existsSync(f));
    if (jdk === undefined) throw new Error("no JDK's java.base.jmod under /usr/lib/jvm: install default-jdk-headless (scripts/ci-deps.sh)");
    writeFileSync(join(apt, "java.base.jmod"), readFileSync(jdk));
    build(apt, aptTag, ["FROM local/busybox:1", "COPY lists/ /var/lib/apt/lists/", "COPY dump.sql.gz /srv/backup/dump.sql.gz", "COPY java.base.jmod /opt/jdk/jmods/", "COPY src.tar.xz /usr/src/src.tar.xz"]);
  }, 300_000);
  afterAll(() => {
    spawnSync(DOCKER, ["rmi", "-f", leakyTag, bombTag, sevenTag, aptTag], { stdio: "ignore" });
    rmSync(work, { recursive: true, force: true });
  });

  test("every shape is found with its path chain, exit 1, the value never printed", async () => {
    const cli = await runCli(["scan", leakyTag, "--secret", `token=${secretFile}`, "--format", "json"], { cwd: work, secrets: [value] });
    expect(cli.output).not.toContain(value);
    expect(cli.code).toBe(1);
    const report = JSON.parse(cli.stdout.toString()) as Report;
    const paths = report.findings.filter((f) => f.where === "file").map((f) => `${f.container ?? "-"}:${f.path.replace(/[0-9a-f]{64}\/layer\.tar/, "LAYER/layer.tar")}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        "zip:app/app.jar!/BOOT-INF/classes/application.properties",
        "tar:var/cache/tool.deb!/data.tar.xz!/etc/tool/tool.conf",
        "tar:backup/saved.tar!/LAYER/layer.tar!/etc/app.conf",
        "tar:srv.tar.gz!/inner.tgz!/conf/db.conf",
        "bzip2:db.conf.bz2",
        "xz:db.conf.xz",
        "zip:opt/run.jar!/BOOT-INF/classes/application.properties",
        "zip:opt/tool.pyz!/tool/settings.py",
        "png:srv/static/logo.png",
        "cpio:pkgs/tool.rpm!/opt/sbtest/tool.conf",
        "lzip:pkgs/db.conf.lz",
        "zip:app/fat.jar!/BOOT-INF/classes/application.properties",
        "tar:opt/toolchain.tar.xz!/toolchain/etc/registry.conf",
        "zip:opt/bundle.zip!/conf/app.env",
        "zstd:opt/extra/db.conf.zst",
        "tar:opt/extra/agent.run!/etc/agent.conf",
        "lz4:var/lib/apt/lists/repo.example_dists_stable_main_binary-amd64_Packages.lz4",
        "zip:opt/jdk/jmods/app.jmod!/conf/app.properties",
        "gzip:opt/payload.b64",
        "zip:opt/installer!/conf/app.properties",
      ]),
    );
    expect(paths.some((p) => /^git-pack:opt\/extra\/repo\.bundle!\/blob@\d+$/.test(p)), paths.join(" ")).toBe(true);
    expect(report.notSearched).toEqual([]);
    // one leak, one finding: an archive whose member holds the value is not reported itself
    // (the uncompressed image archive holds the bytes as they are, the .tar.gz's stream its tar)
    const files = paths.map((p) => p.slice(p.indexOf(":") + 1));
    expect(files.filter((outer) => files.some((inner) => inner.startsWith(`${outer}!/`)))).toEqual([]);
    // the layer is the one that holds the archive
    expect(report.findings.find((f) => f.path.startsWith("app/app.jar!/"))?.layer?.index).toBe(1);
  });

  test("apt's lz4 lists (an image that ran apt-get update and kept them), a 100 MiB dump kept gzipped, an 80 MiB .tar.xz and the JDK's java.base.jmod: searched whole, clean, exit 0", async () => {
    const cli = await runCli(["scan", aptTag, "--secret", `token=${secretFile}`, "--format", "json"], { cwd: work, secrets: [value] });
    expect(cli.code).toBe(0);
    const report = JSON.parse(cli.stdout.toString()) as Report;
    expect(report.findings).toEqual([]);
    expect(report.notSearched).toEqual([]);
  });

  test("a 7z archive: recognised but not decoded, so not searched and exit 2, never a clean pass", async () => {
    const cli = await runCli(["scan", sevenTag, "--secret", `token=${secretFile}`, "--format", "json"], { cwd: work, secrets: [value] });
    expect(cli.output).not.toContain(value);
    expect(cli.code).toBe(2);
    const report = JSON.parse(cli.stdout.toString()) as Report;
    expect(report.notSearched).toEqual([expect.objectContaining({ path: "data/conf.7z", reason: expect.stringContaining("7z archive: a format safebuild does not decode") })]);
  });

  test("a bomb: not searched, with the limit, exit 2; text and sarif say so too; scan.notSearched: warn accepts it", async () => {
    const json = await runCli(["scan", bombTag, "--secret", `token=${secretFile}`, "--format", "json"], { cwd: work, secrets: [value] });
    expect(json.code).toBe(2);
    const report = JSON.parse(json.stdout.toString()) as Report;
    expect(report.findings).toEqual([]);
    expect(report.notSearched).toEqual([{ path: "data/bomb.lz", layer: expect.objectContaining({ index: 1 }) as unknown, reason: "decoded content over 64 MiB (limit per file, for what is decoded in memory)" }]);

    const text = await runCli(["scan", bombTag, "--secret", `token=${secretFile}`], { cwd: work, secrets: [value] });
    expect(text.code).toBe(2);
    expect(text.stderr.toString()).toMatch(/NOT SEARCHED data\/bomb\.lz: decoded content over/);
    expect(text.stderr.toString()).toMatch(/INCOMPLETE: no secret found in what was read/);

    const sarif = await runCli(["scan", bombTag, "--secret", `token=${secretFile}`, "--format", "sarif"], { cwd: work, secrets: [value] });
    expect(sarif.code).toBe(2);
    const run0 = (JSON.parse(sarif.stdout.toString()) as { runs: { invocations: { toolExecutionNotifications: { message: { text: string } }[] }[] }[] }).runs[0]!;
    expect(run0.invocations[0]!.toolExecutionNotifications[0]!.message.text).toContain("data/bomb.lz");

    writeFileSync(join(work, "safebuild.yml"), "scan:\n  notSearched: warn\n");
    try {
      // The file sits where the scan runs, so it is the scanned tree's config: loosening needs --allow policy.
      const refused = await runCli(["scan", bombTag, "--secret", `token=${secretFile}`, "--format", "json"], { cwd: work, secrets: [value] });
      expect(refused.code).toBe(2);
      const accepted = await runCli(["scan", bombTag, "--secret", `token=${secretFile}`, "--format", "json", "--allow", "policy"], { cwd: work, secrets: [value] });
      expect(accepted.code).toBe(0);
      expect((JSON.parse(accepted.stdout.toString()) as Report).notSearched).toHaveLength(1);
    } finally {
      rmSync(join(work, "safebuild.yml"));
    }
  });
});
