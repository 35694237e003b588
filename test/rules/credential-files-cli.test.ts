import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { dockerArchive, tarOf, type TarEntry } from "../helpers/archives.js";
import { runCli } from "../helpers/cli.js";
import { BUILTIN_RULES } from "../../src/rules/builtin-rules.js";
import { compileKeywordSearch, KeywordWalk } from "../../src/scan/layer/keyword-walk.js";
import { alnum } from "./tokens.js";
import { zipOf } from "../helpers/content-archives.js";
import { gzipSync } from "node:zlib";

/**
 * Credential files (.npmrc, .netrc, Maven's settings.xml, Composer's auth.json, .pgpass, a Vault
 * token, a kubeconfig, Cargo's credentials): their rules run
 * on the whole of files of those names, whatever the token's shape, and nowhere else.
 */
const work = mkdtempSync(join(tmpdir(), "sbtest-credential-files-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const file = (name: string, data: string): TarEntry => ({ name, data: Buffer.from(data) });

const legacyNpm = randomUUID();
const netrcPassword = alnum(24);
const mavenPassword = alnum(20);
const composerPassword = alnum(24);
const npmrc = `registry=https://npm.acme-corp.io/\n//npm.acme-corp.io/:_authToken=${legacyNpm}\n`;
const netrc = `machine api.acme-corp.io\n  login deploy\n  password ${netrcPassword}\n`;
const settings = `<settings><servers><server><id>nexus</id><username>ci</username><password>${mavenPassword}</password></server></servers></settings>\n`;
const auth = JSON.stringify({ "http-basic": { "repo.acme-corp.io": { username: "ci", password: composerPassword } } }, null, 2);
const pgPassword = alnum(20);
const vaultToken = `hvs.${alnum(90)}`;
const kubeToken = alnum(40);
const cargoToken = alnum(32);
const pgpass = `db.internal:5432:app:app_user:${pgPassword}\n`;
const kubeconfig = `apiVersion: v1\nusers:\n- name: ci\n  user:\n    token: ${kubeToken}\n`;
const cargo = `[registries.acme]\ntoken = "${cargoToken}"\n`;
const values = [legacyNpm, netrcPassword, mavenPassword, composerPassword, pgPassword, vaultToken, kubeToken, cargoToken];

const layer = (): Promise<Buffer> =>
  tarOf([
    file("root/.npmrc", npmrc),
    file("root/.netrc", netrc),
    file("root/.m2/settings.xml", settings),
    file("root/.config/composer/auth.json", auth),
    file("var/lib/postgresql/.pgpass", pgpass),
    file("root/.vault-token", `${vaultToken}\n`),
    file("root/.kube/config", kubeconfig),
    file("usr/local/cargo/credentials.toml", cargo),
    // the same text under other names: documentation, a template, an example
    file("app/docs/npmrc.md", npmrc),
    file("app/netrc.example", netrc),
    file("app/pom.xml", settings),
    file("app/composer.json", auth),
    file("app/docs/pgpass.txt", pgpass),
    file("app/deploy/values.yaml", kubeconfig),
    // what a build fills in later
    file("home/node/.npmrc", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n"),
  ]);

describe("credential files through the CLI", () => {
  test("each found at its own file, as its rule; the same text elsewhere and a variable: quiet", async () => {
    const image = join(work, "image.tar");
    writeFileSync(image, await dockerArchive([await layer()]));
    const cli = await runCli(["scan", `docker-archive:${image}`, "--format", "json"], { cwd: work, secrets: values });
    const report = JSON.parse(cli.stdout.toString()) as { findings: { rule: string | null; path: string; preview?: string }[] };
    expect(cli.code, cli.stderr.toString()).toBe(1);
    expect(report.findings.map((f) => `${f.rule} ${f.path}`).sort()).toEqual([
      "cargo-registry-token usr/local/cargo/credentials.toml",
      "composer-auth root/.config/composer/auth.json",
      "kubeconfig-credentials root/.kube/config",
      "maven-settings-password root/.m2/settings.xml",
      "netrc-password root/.netrc",
      "npmrc-auth root/.npmrc",
      "pgpass-password var/lib/postgresql/.pgpass",
      // a token of Vault 1.10's shape is vault-token's finding; vault-token-file takes the older shapes
      "vault-token root/.vault-token",
    ]);
    // a preview, never the value
    for (const value of values) expect(cli.output).not.toContain(value);
  });
});

describe("credential files inside archives in a layer", () => {
  test("a Spring Boot jar's application.properties (deflated) and a home folder's .npmrc in a .tar.gz: found, the chain in the path", async () => {
    const springPassword = alnum(18);
    const npmToken = randomUUID();
    const jar = zipOf([
      { name: "META-INF/MANIFEST.MF", data: Buffer.from("Manifest-Version: 1.0\n") },
      { name: "BOOT-INF/classes/application.properties", data: Buffer.from(`spring.datasource.username=app\nspring.datasource.password=${springPassword}\n`) },
      { name: "BOOT-INF/classes/logback.xml", data: Buffer.from(`<password>${springPassword}</password>`) },
    ]);
    const tgz = gzipSync(await tarOf([file("root/.profile", "umask 022\n"), file("root/.npmrc", `//registry.npmjs.org/:_authToken=${npmToken}\n`)]));
    const image = join(work, "archives.tar");
    writeFileSync(image, await dockerArchive([await tarOf([{ name: "app/app.jar", data: jar }, { name: "srv/backup/home.tar.gz", data: tgz }])]));
    const cli = await runCli(["scan", `docker-archive:${image}`, "--format", "json"], { cwd: work, secrets: [springPassword, npmToken] });
    const report = JSON.parse(cli.stdout.toString()) as { findings: { rule: string | null; path: string }[] };
    expect(cli.code, cli.stderr.toString()).toBe(1);
    expect(report.findings.map((f) => `${f.rule} ${f.path}`).sort()).toEqual([
      "npmrc-auth srv/backup/home.tar.gz!/root/.npmrc",
      "spring-config-password app/app.jar!/BOOT-INF/classes/application.properties",
    ]);
  });
});

describe("credential files on the layer thread (more than two cores)", () => {
  test("the thread's walk finds them at their own files only, at their offsets", async () => {
    const search = compileKeywordSearch({ id: 1, rules: BUILTIN_RULES.map((rule) => ({ rule, from: "built-in rules", trusted: true })) }, 1000);
    const walk = new KeywordWalk(search, 64 * 1024 * 1024);
    walk.write(await layer());
    const { matches } = walk.end();
    const found = matches.map((m) => `${search.plan.rules[m.rule] === undefined ? "?" : BUILTIN_RULES[m.rule]!.id} ${m.path} ${Buffer.from(m.secret).toString()}`).sort();
    expect(found).toEqual([
      `cargo-registry-token usr/local/cargo/credentials.toml ${cargoToken}`,
      `composer-auth root/.config/composer/auth.json ${composerPassword}`,
      `kubeconfig-credentials root/.kube/config ${kubeToken}`,
      `maven-settings-password root/.m2/settings.xml ${mavenPassword}`,
      `netrc-password root/.netrc ${netrcPassword}`,
      `npmrc-auth root/.npmrc ${legacyNpm}`,
      `pgpass-password var/lib/postgresql/.pgpass ${pgPassword}`,
      // the thread's raw matches: the walk judges them, and drops vault-token-file's (the token rule's value)
      `vault-token root/.vault-token ${vaultToken}`,
      `vault-token-file root/.vault-token ${vaultToken}`,
    ]);
    const npm = matches.find((m) => BUILTIN_RULES[m.rule]!.id === "npmrc-auth")!;
    expect(npm.offset).toBe(npmrc.indexOf(legacyNpm));
  });
});
