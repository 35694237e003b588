import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, test } from "vitest";
import { dockerArchive } from "../helpers/archives.js";
import { runCli } from "../helpers/cli.js";

/**
 * Layers that GNU tar wrote with `--sparse` (an image assembled outside an engine: a tarball, an
 * OCI layout): a gzip file followed by a hole is still opened, whatever the sparse format, and a
 * finding names the file, not GNU's `GNUSparseFile.PID/` stand-in.
 */
const work = mkdtempSync(join(tmpdir(), "sbtest-sparse-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const value = `sbtest-sparse-${randomBytes(12).toString("hex")}`;
const root = join(work, "root");
mkdirSync(join(root, "app"), { recursive: true });
const handle = openSync(join(root, "app/settings.gz"), "w");
const gz = gzipSync(Buffer.from(`token=${value}\n`));
writeSync(handle, gz, 0, gz.length, 0);
ftruncateSync(handle, 4 << 20);
closeSync(handle);
// nine pieces between holes, the value in the last: an `S` header holds four, extension blocks the rest
const pieces = openSync(join(root, "app/pieces.bin"), "w");
for (let i = 1; i <= 9; i++) writeSync(pieces, Buffer.from(i === 9 ? `key=${value}\n` : `piece ${i}\n`), 0, undefined, i * 262144);
ftruncateSync(pieces, 3 << 20);
closeSync(pieces);
const secretFile = join(work, "token");
writeFileSync(secretFile, value);

describe("sparse files in a layer", () => {
  test.each([
    ["PAX 1.0 (`--format=posix`)", ["--format=posix"]],
    ["GNU (`--format=gnu`)", ["--format=gnu"]],
  ])("%s: the values in a gzip file and after many holes are found, at the files' own paths", async (_, flags) => {
    const layer = join(work, `layer${flags.join("")}.tar`);
    execFileSync("tar", ["--sparse", "--hole-detection=seek", ...flags, "-cf", layer, "-C", root, "app"]);
    const image = join(work, `image${flags.join("")}.tar`);
    writeFileSync(image, await dockerArchive([readFileSync(layer)]));
    const cli = await runCli(["scan", `docker-archive:${image}`, "--secret", `token=${secretFile}`, "--no-rules", "--format", "json"], { cwd: work, secrets: [value] });
    const report = JSON.parse(cli.stdout.toString()) as { findings: { secret: string; path: string; container?: string }[]; notSearched: unknown[] };
    expect(report.findings.map((f) => `${f.secret} ${f.path}`).sort()).toEqual(["token app/pieces.bin", "token app/settings.gz"]);
    expect(report.notSearched).toEqual([]);
    expect(cli.code).toBe(1);
  });
});
