import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, test } from "vitest";
import { dockerArchive, tarOf, type TarEntry } from "../helpers/archives.js";
import { runCli } from "../helpers/cli.js";
import { bzip2Of } from "../helpers/content-archives.js";
import { pem, ppk, token } from "./tokens.js";

/**
 * The built-in rules' installed-software allow list through the CLI, on hand-made images: what
 * third-party software ships stays quiet, what an author writes is found.
 */
const work = mkdtempSync(join(tmpdir(), "sbtest-installed-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const key = pem("RSA PRIVATE KEY");
const file = (name: string, data: string | Buffer = key): TarEntry => ({ name, data: Buffer.isBuffer(data) ? data : Buffer.from(data) });

interface Report {
  findings: { secret: string | null; rule: string | null; path: string }[];
}

let images = 0;
/** `rule path` of each finding of a rules-only scan (plus `--secret` files) of an image of these layers. */
async function scan(layers: readonly (readonly TarEntry[])[], secrets: Readonly<Record<string, string>> = {}): Promise<{ code: number | null; found: string[] }> {
  images += 1;
  const image = join(work, `image-${images}.tar`);
  writeFileSync(image, await dockerArchive(await Promise.all(layers.map((l) => tarOf(l)))));
  const args = ["scan", `docker-archive:${image}`, "--format", "json"];
  for (const [id, value] of Object.entries(secrets)) {
    const path = join(work, `secret-${images}-${id}`);
    writeFileSync(path, value);
    args.push("--secret", `${id}=${path}`);
  }
  const cli = await runCli(args, { cwd: work, secrets: [key, ...Object.values(secrets)] });
  const report = JSON.parse(cli.stdout.toString()) as Report;
  return { code: cli.code, found: report.findings.map((f) => `${f.rule ?? f.secret} ${f.path}`).sort() };
}

describe("installed software through the CLI", () => {
  test("package caches and stores (Deno, pnpm, Bower, uv, cargo git) and Debian's snakeoil key: quiet; an SSH host key and the app's own key: found", async () => {
    const { code, found } = await scan([
      [
        file("deno-dir/npm/registry.npmjs.org/ssh2/1.17.0/test/fixtures/id_rsa"),
        file("root/.cache/deno/npm/registry.npmjs.org/node-rsa/1.1.1/test/keys/private.pem"),
        file("root/.local/share/pnpm/store/v3/files/ab/cdef0123456789"),
        file("app/.pnpm-store/v3/files/0f/0123456789abcdef"),
        file("app/public/bower_components/jsrsasign/sample/key.pem"),
        file("root/.cache/uv/archive-v0/Xk3aP9qLw2/Crypto/SelfTest/PublicKey/test_import_RSA.py"),
        file("usr/local/cargo/git/checkouts/crypto-9f2c1a7b3e5d4c61/4e1f0a2/ssh/testdata/key.pem"),
        file("etc/ssl/private/ssl-cert-snakeoil.key"),
        file("etc/ssh/ssh_host_rsa_key"),
        file("app/certs/server.key"),
      ],
    ]);
    expect(found).toEqual(["private-key app/certs/server.key", "private-key etc/ssh/ssh_host_rsa_key"]);
    expect(code).toBe(1);
  });

  const record = (files: readonly string[]): string => files.map((f) => `${f},sha256=${"A".repeat(43)},1234\n`).join("");
  const selfTest = "Crypto/SelfTest/PublicKey/test_import_RSA.py";

  test("pip install -t /var/task: files its RECORD lists are quiet, whether the RECORD comes after them or in a later layer; a file it does not list is found", async () => {
    const after = await scan([
      [
        file(`var/task/${selfTest}`),
        file("var/task/handler_key.pem"),
        file("var/task/pycryptodome-3.23.0.dist-info/RECORD", record([selfTest, "pycryptodome-3.23.0.dist-info/RECORD"])),
      ],
    ]);
    expect(after.found).toEqual(["private-key var/task/handler_key.pem"]);
    // a known value in a listed file is still found (only the rules go quiet there)
    const known = pem("OPENSSH PRIVATE KEY");
    const later = await scan(
      [
        [file(`app/deps/${selfTest}`), file("app/deps/paramiko/test_rsa.key"), file("app/deps/paramiko/tests/known.key", known)],
        [file("app/deps/paramiko-3.5.0.dist-info/RECORD", record(["paramiko/test_rsa.key", "paramiko/tests/known.key"]))],
      ],
      { known },
    );
    expect([...new Set(later.found)]).toEqual([`known app/deps/paramiko/tests/known.key`, `private-key app/deps/${selfTest}`]);
    expect(later.code).toBe(1);
  });

  test("package metadata (a README with an example token) is quiet wherever the package was installed; the same token in the app is found", async () => {
    const jwt = token.jwt();
    const readme = `Metadata-Version: 2.1\nName: PyJWT\n\n    >>> jwt.encode(payload, key)\n    '${jwt}'\n`;
    const { found } = await scan([
      [
        file("var/task/joserfc-1.6.5.dist-info/METADATA", readme),
        file("var/task/PyJWT-2.6.0.egg-info/PKG-INFO", readme),
        file("app/deps/PKG-INFO", readme),
        file("var/task/settings.py", `TOKEN = '${jwt}'\n`),
      ],
    ]);
    expect(found).toEqual(["jwt var/task/settings.py"]);
  });

  test("an allow-listed member is quiet at its archive too: a tar or tar.gz of node_modules, a Yarn offline mirror's npm tarball, a conda package, a containerd blob of a layer; the app's own archive is found at its member", async () => {
    const modules = await tarOf([file("node_modules/ssh2/test/fixtures/id_rsa")]);
    const npmPack = gzipSync(await tarOf([file("package/package.json", '{"name":"ssh2"}'), file("package/test/fixtures/id_rsa")]));
    const conda = bzip2Of(await tarOf([file("info/index.json", "{}"), file("lib/python3.11/site-packages/Crypto/SelfTest/PublicKey/test_import_RSA.py")]));
    const blob = gzipSync(await tarOf([file("usr/lib/python3/dist-packages/Crypto/SelfTest/PublicKey/test_import_RSA.py")]));
    const own = await tarOf([file("config/server.key", pem("EC PRIVATE KEY"))]);
    const { found } = await scan([
      [
        file("app/node_modules.tar", modules),
        file("app/node_modules.tar.gz", gzipSync(modules)),
        file("app/npm-packages-offline-cache/ssh2-1.17.0.tgz", npmPack),
        file("opt/conda/pkgs/pycryptodome-3.11.0-py311h0.tar.bz2", conda),
        file(`var/lib/containerd/io.containerd.content.v1.content/blobs/sha256/${"ab".repeat(32)}`, blob),
        file("app/backup.tar", own),
      ],
    ]);
    expect(found).toEqual(["private-key app/backup.tar!/config/server.key"]);
  });

  test("the Google Cloud SDK unpacked outside /usr/lib (/, ~, /opt, /usr/local): its own lib/, platform/, bin/ quiet; the same key beside it or in the app: found", async () => {
    const apiKey = `CRASH_REPORTING_KEY = '${token.google()}'\n`;
    const own = ["opt/google-cloud-sdk/deploy-key.pem", "app/lib/googlecloudsdk/command_lib/crash_handling.py"];
    const { found } = await scan([
      [
        file("google-cloud-sdk/lib/googlecloudsdk/command_lib/crash_handling.py", apiKey),
        file("root/google-cloud-sdk/lib/googlecloudsdk/command_lib/__pycache__/crash_handling.cpython-312.pyc", apiKey),
        file("opt/google-cloud-sdk/platform/gsutil/gslib/tests/test_data/test_key.pem"),
        file("usr/local/google-cloud-sdk/platform/google_appengine/lib/cert/test.pem"),
        file("usr/local/google-cloud-sdk/bin/anthoscli-key.pem"),
        file(own[0]!),
        file(own[1]!, apiKey),
      ],
    ]);
    expect(found).toEqual(["google-api-key app/lib/googlecloudsdk/command_lib/crash_handling.py", "private-key opt/google-cloud-sdk/deploy-key.pem"]);
  });

  test("package documentation under any prefix (/usr/local, conda, a venv): its example keys quiet; the app's own docs: found", async () => {
    const { found } = await scan([
      [
        file("usr/local/share/doc/libnet-ssleay-perl/examples/server_key.pem"),
        file("opt/conda/share/doc/libxmlsec1-dev/examples/rsakey.pem"),
        file("opt/venv/share/doc/tool/examples/key.pem"),
        file("app/docs/deploy-key.pem"),
      ],
    ]);
    expect(found).toEqual(["private-key app/docs/deploy-key.pem"]);
  });

  test("an author's files under usr/share (a web root, Jenkins' ref, Logstash's pipeline, the Elastic images' config), an image's systemd unit and libexec helper, a gems folder that is no gem home: found; package data there: quiet", async () => {
    const own = [
      "usr/share/nginx/html/static/js/main.3f2a1c.js",
      "usr/share/jenkins/ref/casc/jenkins.yaml",
      "usr/share/logstash/pipeline/s3-output.conf",
      "usr/share/elasticsearch/config/elasticsearch.yml",
      "lib/systemd/system/app.service",
      "usr/libexec/app/run.sh",
      "home/app/gems/billing-1.0/config/stripe.rb",
    ];
    const { found } = await scan([
      [
        ...own.map((path) => file(path)),
        file("usr/share/jenkins/ref/plugins/git.jpi"),
        file("usr/share/logstash/vendor/bundle/jruby/3.1.0/gems/jwt-2.7.1/spec/key.pem"),
        file("usr/share/doc/openssl/demos/key.pem"),
        file("usr/lib/systemd/libsystemd-shared.so"),
        file("usr/local/bundle/gems/net-ssh-7.2.0/test/key.pem"),
      ],
    ]);
    expect(found).toEqual(own.map((path) => `private-key ${path}`).sort());
  });

  test("Composer's and Go's vendor/ docs and tests, Julia's stdlib, a PEX's wheels: quiet; the app's files in vendor/, a 4096-bit .ppk, a JSON key as .NET writes it, a password with 1234 in it: found; an image digest: no password", async () => {
    const dotnet = JSON.stringify({ Signing: { Key: pem("RSA PRIVATE KEY", `${token.pemBody(400)}+/+`) } }).replace(/\+/g, "\\u002B");
    const { code, found } = await scan([
      [
        file("var/www/html/vendor/firebase/php-jwt/README.md", `## Example with RS256\n\n$privateKey = <<<EOD\n${key}EOD;\n`),
        file("app/vendor/golang.org/x/crypto/ssh/testdata/keys.go"),
        file("usr/local/julia/share/julia/stdlib/v1.10/LibGit2/test/keys/id_rsa"),
        file("app/app.pex!/.deps/paramiko-3.5.0-py3-none-any.whl/tests/test_rsa.key"),
        file("var/www/html/vendor/acme/config/jwt.key"),
        file("home/app/.ssh/deploy.ppk", ppk({ version: 2, bits: 4096 })),
        file("app/appsettings.Production.json", dotnet),
        file("app/.env.production.sh", "export DATABASE_URL=postgres://app:Company1234!@db.prod.internal:5432/app\n"),
        file("app/Dockerfile.ci", `FROM docker-image://python:3.12-slim@sha256:${"ab12".repeat(16)}\n`),
      ],
    ]);
    expect(found).toEqual([
      "private-key app/appsettings.Production.json",
      "private-key var/www/html/vendor/acme/config/jwt.key",
      "putty-private-key home/app/.ssh/deploy.ppk",
      "url-password app/.env.production.sh",
    ]);
    expect(code).toBe(1);
  });
});
