import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { dockerArchive, tarOf } from "../helpers/archives.js";
import { runCli } from "../helpers/cli.js";
import { alnum, pem, token } from "./tokens.js";

/** The services' prefixed tokens through the CLI, where builds leave them; look-alikes quiet. */
const work = mkdtempSync(join(tmpdir(), "sbtest-service-tokens-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Report {
  findings: { rule: string | null; where: string; path: string }[];
}

describe("service tokens through the CLI", () => {
  test("each in a file a build leaves behind, in the env, in a Kubernetes Secret's base64: found once, by its own rule", async () => {
    const planted = {
      sendgrid: token.sendgrid(),
      atlassian: token.atlassian(),
      databricks: token.databricks(),
      entra: token.entraSecret(),
      sas: token.azureSasSig(),
      jfrog: token.jfrogReference(),
      sentry: token.sentryOrg(),
      tfc: token.terraformCloud(),
      doppler: token.doppler(),
      teams: token.teamsWebhook(),
      groq: token.groq(),
      laravel: randomBytes(32).toString("base64"),
    };
    const layer = await tarOf([
      { name: "app/.sentryclirc", data: Buffer.from(`[auth]\ntoken=${planted.sentry}\n`) },
      { name: "root/.databrickscfg", data: Buffer.from(`[DEFAULT]\nhost = https://adb-1.azuredatabricks.net\ntoken = ${planted.databricks}\n`) },
      { name: "app/appsettings.json", data: Buffer.from(JSON.stringify({ AzureAd: { ClientSecret: planted.entra }, Backups: `https://acme.blob.core.windows.net/b?sv=2022-11-02&sp=rl&se=2027-01-01&sig=${planted.sas}` }, null, 2)) },
      { name: "root/.npmrc.bak", data: Buffer.from(`//acme.jfrog.io/artifactory/api/npm/npm/:_authToken=${planted.jfrog}\n`) },
      { name: "root/.terraform.d/credentials.tfrc.json", data: Buffer.from(JSON.stringify({ credentials: { "app.terraform.io": { token: planted.tfc } } })) },
      { name: "app/deploy/secret.yaml", data: Buffer.from(`apiVersion: v1\nkind: Secret\ndata:\n  DOPPLER_TOKEN: ${Buffer.from(planted.doppler).toString("base64")}\n`) },
      { name: "app/notify.sh", data: Buffer.from(`curl -H 'Content-Type: application/json' -d '{"text":"done"}' '${planted.teams}'\n`) },
      { name: "app/jira.py", data: Buffer.from(`JIRA = {"user": "ci@acme.io", "token": "${planted.atlassian}"}\n`) },
      // look-alikes: a word holding a prefix, a placeholder, a signature outside any SAS
      { name: "app/README.md", data: Buffer.from(`Set SENDGRID_API_KEY=SG.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nlibdapi${randomBytes(16).toString("hex")}\nhttps://cdn.acme.io/a.tar?sig=${token.azureSasSig()}\nGROQ_API_KEY=gsk_${"x".repeat(52)}\n`) },
    ]);
    const image = join(work, "image.tar");
    writeFileSync(image, await dockerArchive([layer], { config: { Env: ["PATH=/bin", `SENDGRID_API_KEY=${planted.sendgrid}`, `GROQ_API_KEY=${planted.groq}`, `APP_KEY=base64:${planted.laravel}`] } }));
    const cli = await runCli(["scan", `docker-archive:${image}`, "--format", "json"], { cwd: work, secrets: Object.values(planted) });
    expect(cli.code, cli.stderr.toString()).toBe(1);
    const report = JSON.parse(cli.stdout.toString()) as Report;
    expect(report.findings.map((f) => `${f.rule} ${f.path}`).sort()).toEqual(
      [
        "sentry-token app/.sentryclirc",
        "databricks-token root/.databrickscfg",
        "azure-entra-client-secret app/appsettings.json",
        "azure-sas-token app/appsettings.json",
        "jfrog-token root/.npmrc.bak",
        "terraform-cloud-token root/.terraform.d/credentials.tfrc.json",
        "doppler-token app/deploy/secret.yaml",
        "chat-webhook app/notify.sh",
        "atlassian-api-token app/jira.py",
        "sendgrid-api-key Env[1]",
        "ai-api-key Env[2]",
        "laravel-app-key Env[3]",
      ].sort(),
    );
  });

  test("a private key base64 after a certificate or openssl's Bag Attributes: found at each alignment; a certificate chain quiet", async () => {
    const b64 = (text: string): string => Buffer.from(text).toString("base64");
    const keys = [pem("RSA PRIVATE KEY"), pem("PRIVATE KEY"), pem("EC PRIVATE KEY", token.pemBody(300))];
    const bodies = keys.map((k) => k.split("\n").slice(1, -2).join(""));
    const layer = await tarOf([
      ...keys.map((key, i) => ({ name: `app/deploy/tls-${i}.yaml`, data: Buffer.from(`apiVersion: v1\nkind: Secret\ndata:\n  tls.pem: ${b64(`subject=CN = app${"1".repeat(i)}\n${pem("CERTIFICATE", token.pemBody(900))}${key}`)}\n`) })),
      { name: "app/run.sh", data: Buffer.from(`export TLS_KEY_B64=${b64(`Bag Attributes\n    localKeyID: 01 02\nKey Attributes: <No Attributes>\n${keys[0]}`)}\n`) },
      { name: "app/deploy/ca.yaml", data: Buffer.from(`data:\n  ca.crt: ${b64(`${pem("CERTIFICATE", token.pemBody(900))}${pem("CERTIFICATE", token.pemBody(600))}`)}\n`) },
    ]);
    const image = join(work, "tls.tar");
    writeFileSync(image, await dockerArchive([layer]));
    const cli = await runCli(["scan", `docker-archive:${image}`, "--format", "json"], { cwd: work, secrets: bodies.map((b) => b.slice(0, 64)) });
    const report = JSON.parse(cli.stdout.toString()) as Report;
    expect(report.findings.map((f) => `${f.rule} ${f.path}`).sort()).toEqual(["private-key-base64 app/deploy/tls-0.yaml", "private-key-base64 app/deploy/tls-1.yaml", "private-key-base64 app/deploy/tls-2.yaml", "private-key-base64 app/run.sh"]);
    expect(cli.code).toBe(1);
  });

  test("a CI checkout's .git/config and root's shell history: found; a token there is its own rule's finding only", async () => {
    const jobToken = token.github("s");
    const historyToken = token.github("p");
    const password = alnum(18);
    const whsec = token.whsec();
    const layer = await tarOf([
      { name: "app/.git/config", data: Buffer.from(`[core]\n\tbare = false\n[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic ${Buffer.from(`x-access-token:${jobToken}`).toString("base64")}\n`) },
      { name: "root/.bash_history", data: Buffer.from(`apt-get update\nexport GITHUB_TOKEN=${historyToken}\ndocker login -u ci -p ${password} registry.acme.io\n`) },
      { name: "app/.env", data: Buffer.from(`STRIPE_WEBHOOK_SECRET=${whsec}\n`) },
    ]);
    const image = join(work, "history.tar");
    writeFileSync(image, await dockerArchive([layer]));
    const cli = await runCli(["scan", `docker-archive:${image}`, "--format", "json"], { cwd: work, secrets: [jobToken, historyToken, password, whsec] });
    const report = JSON.parse(cli.stdout.toString()) as Report;
    expect(report.findings.map((f) => `${f.rule} ${f.path}`).sort()).toEqual([
      "git-extraheader app/.git/config",
      "github-token root/.bash_history",
      "shell-history-secret root/.bash_history",
      "webhook-signing-secret app/.env",
    ]);
    expect(cli.code).toBe(1);
  });

  test("an Entra secret's look-alike in a minified bundle: quiet", async () => {
    const layer = await tarOf([{ name: "app/static/main.js", data: Buffer.from(`var a=${alnum(3)}1Q~x;function q(){return"abc1Q~${"x".repeat(34)}"}\n`) }]);
    const image = join(work, "clean.tar");
    writeFileSync(image, await dockerArchive([layer]));
    const cli = await runCli(["scan", `docker-archive:${image}`, "--format", "json"], { cwd: work });
    expect(JSON.parse(cli.stdout.toString()).findings).toEqual([]);
    expect(cli.code).toBe(0);
  });
});
