import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { dockerArchive, tarOf } from "../../helpers/archives.js";
import { runCli } from "../../helpers/cli.js";
import { ociIndexArchive, provenance } from "../../helpers/oci.js";
import { alnum, token } from "../../rules/tokens.js";

/** env-secret through the CLI: a password in ENV, a token passed as a build argument, on hand-made images. */
const work = mkdtempSync(join(tmpdir(), "sbtest-settings-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Report {
  findings: { secret: string | null; rule: string | null; where: string; path: string; preview?: string }[];
}

const layer = (): Promise<Buffer> => tarOf([{ name: "app/server.js", data: Buffer.from("require('http').createServer().listen(8080)\n") }]);
const found = (report: Report, rule: string): string[] => report.findings.filter((f) => f.rule === rule).map((f) => `${f.where} ${f.path}`).sort();

describe("secrets in the image's settings, through the CLI", () => {
  test("ENV, a label, build arguments and an overwritten ENV in the history: each found by name; the official images' settings quiet", async () => {
    const dbPassword = `${alnum(14)}!`;
    const labelToken = alnum(32);
    const npmToken = randomBytes(16).toString("hex");
    const oldToken = alnum(24);
    const connPassword = alnum(18);
    const image = join(work, "settings.tar");
    writeFileSync(
      image,
      await dockerArchive([await layer()], {
        config: {
          Env: [
            "PATH=/usr/local/bin:/usr/bin",
            "GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D",
            "PYTHON_SHA256=8fb5f9fbc7609fa822cb31549884575db7fd9657cbffb89510b5d7975963a83a",
            "POSTGRES_PASSWORD_FILE=/run/secrets/db",
            `DB_PASSWORD=${dbPassword}`,
            "API_TOKEN=",
            `ConnectionStrings__Default=Server=db;User Id=sa;Password=${connPassword};Encrypt=true`,
            "JDBC_URL=jdbc:postgresql://db/app?user=app&password=${DB_PASSWORD}",
          ],
          Labels: { "org.opencontainers.image.revision": randomBytes(20).toString("hex"), "com.acme.deploy-token": labelToken },
        },
        history: [
          { created_by: `ENV API_TOKEN=${oldToken}`, empty_layer: true },
          { created_by: `RUN |1 NPM_TOKEN=${npmToken} /bin/sh -c npm ci # buildkit` },
          { created_by: "ENV API_TOKEN=", empty_layer: true },
        ],
      }),
    );
    const secrets = [dbPassword, labelToken, npmToken, oldToken, connPassword];
    const cli = await runCli(["scan", `docker-archive:${image}`, "--format", "json"], { cwd: work, secrets });
    expect(cli.code, cli.stderr.toString()).toBe(1);
    const report = JSON.parse(cli.stdout.toString()) as Report;
    expect(found(report, "env-secret")).toEqual(["env Env[4]", "env Env[6]", "history history[0].created_by", "history history[1].created_by", "label Labels.com.acme.deploy-token"]);
    expect(report.findings.filter((f) => f.rule !== "env-secret")).toEqual([]);
    expect(report.findings.find((f) => f.path === "Env[4]")?.preview).toBe(`${dbPassword.slice(0, 2)}…${dbPassword.slice(-2)}`);
  });

  test("a value a token rule names is that rule's finding only; a given value is reported as that secret", async () => {
    const npm = token.npm();
    const password = alnum(20);
    const image = join(work, "tokens.tar");
    writeFileSync(image, await dockerArchive([await layer()], { config: { Env: ["PATH=/bin", `NPM_TOKEN=${npm}`, `DB_PASSWORD=${password}`] } }));
    const given = join(work, "db-password");
    writeFileSync(given, password);
    const cli = await runCli(["scan", `docker-archive:${image}`, "--secret", `db=${given}`, "--format", "json"], { cwd: work, secrets: [npm, password] });
    const report = JSON.parse(cli.stdout.toString()) as Report;
    expect(report.findings.map((f) => `${f.rule ?? f.secret} ${f.path}`).sort()).toEqual(["db Env[2]", "npm-token Env[1]"]);
  });

  test("a build argument the provenance records is an attestation finding", async () => {
    const token = alnum(28);
    const archive = join(work, "oci.tar");
    const statement = provenance({ NPM_TOKEN: token, NODE_VERSION: "20.11.1" });
    writeFileSync(archive, await ociIndexArchive([{ platform: { os: "linux", architecture: "amd64" }, layers: [await layer()], attestations: [{ predicateType: "https://slsa.dev/provenance/v0.2", statement }] }]));
    const cli = await runCli(["scan", `oci-archive:${archive}`, "--format", "json"], { cwd: work, secrets: [token] });
    expect(cli.code, cli.stderr.toString()).toBe(1);
    const report = JSON.parse(cli.stdout.toString()) as Report;
    expect(found(report, "env-secret")).toEqual(["attestation /predicate/invocation/parameters/args/build-arg:NPM_TOKEN"]);
  });
});
