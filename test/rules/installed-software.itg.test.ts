import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { engineAnswers, removeImages } from "../build/cli.js";
import { runCli } from "../helpers/cli.js";
import { zipOf } from "../helpers/content-archives.js";
import { libgnutls } from "../helpers/system-library.js";
import { pem } from "./tokens.js";

/**
 * Ordinary software in an ordinary image: no finding (issue 13's false alarms). The real
 * libgnutls embeds its self-test private keys and apt depends on it; the same key-shaped bytes
 * where an app keeps its own files are still a finding.
 */
const DOCKER = process.env["SAFEBUILD_DOCKER"] ?? "/usr/bin/docker";
const GNUTLS = libgnutls();
const up = engineAnswers();
const run = Math.random().toString(36).slice(2, 8);
const clean = `sbtest-installed-${run}:1`;
const leaky = `sbtest-installed-${run}:2`;
const work = mkdtempSync(join(tmpdir(), "sbtest-installed-"));
const key = pem("RSA PRIVATE KEY");

interface Report {
  findings: { rule: string | null; path: string }[];
}

describe.skipIf(!up || GNUTLS === undefined)("built-in rules on installed software, against the real engine", () => {
  beforeAll(() => {
    copyFileSync(GNUTLS!, join(work, "libgnutls.so.30"));
    mkdirSync(join(work, "pkg/tests"), { recursive: true });
    // jwt.io's example token in a package's tests; a database URL template; a stock login in docs
    writeFileSync(
      join(work, "pkg/tests/string.test.ts"),
      'expect(isJwt("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")).toBe(true);\n',
    );
    writeFileSync(join(work, "env.example"), "DATABASE_URL=postgres://app:CHANGE_ME@db:5432/app\nTEST_DB=postgres://postgres:postgres@localhost/test\n");
    writeFileSync(join(work, "server.key"), key);
    // a build stage's wheels (`pip wheel -w /wheels`), one shipping its self-test keys as pycryptodome's does
    mkdirSync(join(work, "wheels"));
    const wheel = zipOf([{ name: "Crypto/SelfTest/PublicKey/test_import_RSA.py", data: Buffer.from(`PRIVATE = """${key}"""\n`) }]);
    writeFileSync(join(work, "wheels/pycryptodome-3.23.0-cp37-abi3-manylinux_2_17_x86_64.whl"), wheel);
    writeFileSync(join(work, "app.zip"), wheel);
    writeFileSync(
      join(work, "Dockerfile"),
      [
        "FROM local/busybox:1",
        "COPY libgnutls.so.30 /usr/lib/x86_64-linux-gnu/libgnutls.so.30.34.3",
        "COPY pkg /app/node_modules/zod/",
        "COPY env.example /app/.env.example",
        "COPY server.key /usr/local/lib/python3.13/test/certdata/keycert.pem",
        "COPY wheels /wheels/",
      ].join("\n"),
    );
    writeFileSync(join(work, "Dockerfile.leaky"), "FROM local/busybox:1\nCOPY libgnutls.so.30 /app/bin/libcrypto-helper.so\nCOPY server.key /app/certs/server.key\nCOPY app.zip /app/bundle.zip\n");
    const env = { ...process.env, DOCKER_BUILDKIT: "1" };
    execFileSync(DOCKER, ["build", "-q", "-t", clean, work], { env, stdio: "ignore" });
    execFileSync(DOCKER, ["build", "-q", "-t", leaky, "-f", join(work, "Dockerfile.leaky"), work], { env, stdio: "ignore" });
  }, 120_000);
  afterAll(() => {
    removeImages([clean, leaky]);
    rmSync(work, { recursive: true, force: true });
  });

  test("libgnutls in its place, a package's tests, a URL template, a runtime's test key, a wheel's self-test key: no finding, exit 0", async () => {
    const cli = await runCli(["scan", clean, "--format", "json"], { cwd: work, secrets: [key] });
    expect(cli.code, cli.stderr.toString()).toBe(0);
    expect((JSON.parse(cli.stdout.toString()) as Report).findings).toEqual([]);
  });

  test("the same key-shaped bytes where an app keeps its own files: findings, exit 1 (a library's published self-test keys excepted)", async () => {
    const cli = await runCli(["scan", leaky, "--format", "json"], { cwd: work, secrets: [key] });
    expect(cli.code, cli.stderr.toString()).toBe(1);
    const paths = (JSON.parse(cli.stdout.toString()) as Report).findings.map((f) => `${f.rule} ${f.path}`);
    expect(paths).toContain("private-key app/certs/server.key");
    // GnuTLS's self-test keys are published with the library: quiet by identity wherever it is copied (public-test-keys.ts)
    expect(paths.filter((p) => p.includes("libcrypto-helper.so"))).toEqual([]);
    // the wheel's bytes in a plain zip of the app's own
    expect(paths).toContain("private-key app/bundle.zip!/Crypto/SelfTest/PublicKey/test_import_RSA.py");
  });
});
