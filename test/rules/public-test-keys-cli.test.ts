import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { dockerArchive, tarOf, type TarEntry } from "../helpers/archives.js";
import { runCli } from "../helpers/cli.js";
import { zipOf } from "../helpers/content-archives.js";
import { libgnutls } from "../helpers/system-library.js";

/**
 * Keys published with software, through the CLI: GnuTLS's self-test keys in a libgnutls copied
 * outside /usr/lib (conda, /usr/local) are quiet by identity; another key in netty's class is found.
 */
const work = mkdtempSync(join(tmpdir(), "sbtest-public-keys-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const gnutls = libgnutls();

describe("keys published with software through the CLI", () => {
  test.skipIf(gnutls === undefined)("libgnutls under opt/conda/lib and usr/local/lib: quiet; a planted key in a netty-handler jar's OpenSsl.class and beside the library: found", async () => {
    const lib = readFileSync(gnutls!);
    const planted = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const klass = Buffer.concat([Buffer.from("cafebabe00000034", "hex"), Buffer.from(`\x01\x04\xc4${planted.trimEnd()}`, "latin1")]);
    const jar = zipOf([{ name: "io/netty/handler/ssl/OpenSsl.class", data: klass }]);
    const app = zipOf([{ name: "BOOT-INF/lib/netty-handler-4.1.118.Final.jar", data: jar }]);
    const entries: TarEntry[] = [
      { name: "opt/conda/lib/libgnutls.so.30", data: lib },
      { name: "usr/local/lib/libgnutls.so.30", data: lib },
      { name: "app/app.jar", data: app },
      { name: "usr/local/lib/server.key", data: Buffer.from(planted) },
    ];
    const image = join(work, "image.tar");
    writeFileSync(image, await dockerArchive([await tarOf(entries)]));
    const cli = await runCli(["scan", `docker-archive:${image}`, "--format", "json"], { cwd: work, secrets: [planted] });
    const report = JSON.parse(cli.stdout.toString()) as { findings: { rule: string | null; path: string }[] };
    expect(report.findings.map((f) => `${f.rule} ${f.path}`).sort()).toEqual([
      "private-key app/app.jar!/BOOT-INF/lib/netty-handler-4.1.118.Final.jar!/io/netty/handler/ssl/OpenSsl.class",
      "private-key usr/local/lib/server.key",
    ]);
    expect(cli.code, cli.stderr.toString()).toBe(1);
  });
});
