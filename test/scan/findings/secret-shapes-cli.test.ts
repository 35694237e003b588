import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { dockerArchive, tarOf } from "../../helpers/archives.js";
import { zipOf } from "../../helpers/content-archives.js";
import { runCli } from "../../helpers/cli.js";
import * as s from "../../match/structured/samples.js";

// Secret files in the shapes real builds mount them, against hand-made images, through the
// built CLI: what an ordinary image holds is no finding, the credential copied out is one.
const work = mkdtempSync(join(tmpdir(), "sbtest-secret-shapes-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Report {
  findings: { secret: string | null; path: string; encoding: string }[];
  notSearched: { path: string; reason: string; scope?: string }[];
}

let n = 0;
/** An image of one layer holding `files`, and the secret files; the scan's exit code, report and stderr. */
async function scan(secrets: Record<string, string | Buffer>, files: Record<string, Buffer | string>, extra: readonly string[] = []) {
  const image = join(work, `image-${++n}.tar`);
  writeFileSync(image, await dockerArchive([await tarOf(Object.entries(files).map(([name, data]) => ({ name, data: Buffer.from(data) })))]));
  const args = ["scan", `docker-archive:${image}`, "--no-rules", "--format", "json", ...extra];
  for (const [id, value] of Object.entries(secrets)) {
    const file = join(work, `${id}-${n}`);
    writeFileSync(file, value, { mode: 0o600 });
    args.push("--secret", `${id}=${file}`);
  }
  const run = await runCli(args, { cwd: work, secrets: Object.values(secrets) });
  const report = JSON.parse(run.stdout.toString()) as Report;
  return { code: run.code, report, stderr: run.stderr.toString(), found: report.findings.map((f) => [f.secret, f.path, f.encoding]) };
}

describe("XML secret files (Maven settings.xml, NuGet.Config)", () => {
  const mavenPass = `Vq7${randomBytes(18).toString("base64url")}`;
  const nugetPass = `Nq4${randomBytes(18).toString("base64url")}`;
  const secrets = { m2: s.mavenSettings(mavenPass), nuget: s.nugetConfig(nugetPass) };
  const jar = zipOf([
    { name: "META-INF/MANIFEST.MF", data: Buffer.from("Manifest-Version: 1.0\r\n") },
    { name: "META-INF/maven/com.acme/app/pom.xml", data: Buffer.from(s.pomXml) },
  ]);

  test("an ordinary Java and .NET image (a jar's pom.xml, a NuGet.Config template): no finding, exit 0", async () => {
    const run = await scan(secrets, { "app/app.jar": jar, "app/NuGet.Config.template": s.nugetConfig("%NUGET_PASSWORD%", "%NUGET_API_KEY%"), "root/.m2/settings.xml": s.mavenSettings("${env.MAVEN_PASSWORD}") });
    expect(run.found).toEqual([]);
    expect(run.code).toBe(0);
  });

  test("the password copied out of each: found, exit 1", async () => {
    const run = await scan(secrets, { "app/app.jar": jar, "app/deploy.sh": `mvn deploy -Dpassword=${mavenPass}\n`, "app/nuget.json": JSON.stringify({ password: nugetPass }) });
    expect(run.found.sort()).toEqual([
      ["m2", "app/deploy.sh", "field"],
      ["nuget", "app/nuget.json", "field"],
    ]);
    expect(run.code).toBe(1);
  });
});

describe("a .env whose database URL holds a stock password", () => {
  const token = `sk_live_${randomBytes(24).toString("base64url")}`;
  const url = "postgresql://postgres:postgres@localhost:5432/postgres?schema=public";
  const env = `DATABASE_URL=${url}\nREDIS_URL=redis://:password123@localhost:6379\nSTRIPE_SECRET_KEY=${token}\n`;

  test("docs and code quoting the same defaults: no finding, exit 0", async () => {
    const readme = `Connect with \`${url.replace("?schema=public", "")}\`.\nnew Keyv('redis://:password123@localhost:6379'); // user postgres:postgres\n`;
    const run = await scan({ dotenv: env }, { "app/node_modules/keyv/README.md": readme, "app/node_modules/pg/lib/defaults.js": "module.exports = { user: 'postgres', password: 'postgres' }\n" });
    expect(run.found).toEqual([]);
    expect(run.code).toBe(0);
  });

  test("the .env's line copied into the image: found, exit 1", async () => {
    const run = await scan({ dotenv: env }, { "app/.env.production": `NODE_ENV=production\nDATABASE_URL=${url}\n` });
    expect(run.found).toEqual([["dotenv", "app/.env.production", "line"]]);
    expect(run.code).toBe(1);
  });
});

describe("a one-line secret file with blanks around the value", () => {
  // no base64 or hex alphabet: found only as itself, never by a decoded form by chance
  const token = `Zq8!wR#4vT%9yU&2-${randomBytes(6).toString("hex")}`;

  test.each([
    ["a trailing space", `${token} \n`],
    ["a leading space", ` ${token}\n`],
    ["a leading tab", `\t${token}\n`],
  ])("%s: the trimmed value written by the build is found, exit 1", async (_name, value) => {
    const run = await scan({ tok: value }, { "app/config.json": `{"apiKey": "${token}"}\n`, "app/env.b64": Buffer.from(token).toString("base64") });
    expect(run.found.sort()).toEqual([
      ["tok", "app/config.json", "raw"],
      ["tok", "app/env.b64", "base64"],
    ]);
    expect(run.code).toBe(1);
  });
});

describe("a secret written by .NET's System.Text.Json (`+` as \\u002B)", () => {
  const key = `${randomBytes(12).toString("base64url")}+${randomBytes(12).toString("base64url")}+Zk9`;
  const dotnet = (hex: (s: string) => string): string => `{"AzureStorage":{"AccountKey":"${key.replace(/\+/g, hex("\\u002B"))}"}}`;

  test.each([
    ["upper-case hex (System.Text.Json)", (s: string) => s],
    ["lower-case hex", (s: string) => s.toLowerCase()],
  ])("%s: found as json, exit 1", async (_name, hex) => {
    const run = await scan({ azure: `${key}\n` }, { "app/appsettings.Production.json": dotnet(hex) });
    expect(run.found).toEqual([["azure", "app/appsettings.Production.json", "json"]]);
    expect(run.code).toBe(1);
  });
});

describe("a secret under 8 bytes: searched nowhere, so never an OK", () => {
  const files = { "app/config.ini": "password=Xk9#q2L\n" };
  const policy = join(work, "accept-not-searched.yml");
  writeFileSync(policy, "scan:\n  notSearched: warn\n");

  test("alone: INCOMPLETE, exit 2, listed in notSearched; the warning says why", async () => {
    const run = await scan({ pin: "Xk9#q2L\n" }, files);
    expect(run.code).toBe(2);
    expect(run.report.notSearched).toEqual([{ path: "", layer: null, reason: 'secret "pin" is shorter than 8 bytes: searched nowhere', scope: "secret", secret: "pin" }]);
    expect(run.stderr).toContain('warning: secret "pin" is shorter than 8 bytes without its trailing newline: not scanned');
    expect(run.stderr).toMatch(/\nINCOMPLETE: no secret found in what was read, but 1 secret is shorter than 8 bytes and searched nowhere \(see the report's notSearched\)\n$/);
    expect(run.stderr).not.toContain("OK:");
  });

  test("next to a searched secret: still exit 2; the operator's notSearched: warn accepts it (exit 0)", async () => {
    const token = `Tk${randomBytes(18).toString("base64url")}`;
    const run = await scan({ pin: "Xk9#q2L", token }, files);
    expect(run.code).toBe(2);
    expect(run.report.notSearched.map((n) => n.scope)).toEqual(["secret"]);
    const accepted = await scan({ pin: "Xk9#q2L", token }, files, ["--allow", "policy", "--config", policy]);
    expect(accepted.code).toBe(0);
    expect(accepted.stderr).toMatch(/\nINCOMPLETE: .*1 secret is shorter than 8 bytes/);
  });
});
