import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { engineAnswers, removeImages } from "../build/cli.js";
import { runCli } from "../helpers/cli.js";
import { pem, token } from "./tokens.js";

const DOCKER = process.env["SAFEBUILD_DOCKER"] ?? "/usr/bin/docker";
const run = Math.random().toString(36).slice(2, 8);
const tag = `sbtest-rules-${run}:1`;
const work = mkdtempSync(join(tmpdir(), "sbtest-rules-"));
// made up, of each format's shape: the output audit cannot know them, so this test greps for them
const key = pem("OPENSSH PRIVATE KEY");
const keyBody = key.split("\n").slice(1, -2);
const github = token.github("p");
const gitlab = token.gitlab();
// a Kubernetes Secret manifest shipped with the app: the token only as base64
const manifest = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ci\ndata:\n  GITLAB_TOKEN: ${Buffer.from(gitlab).toString("base64")}\n`;
// a .NET app's settings with its storage account's key (the rule's keyword, not a known value)
const azureKey = token.azureStorage();
const appsettings = JSON.stringify({ ConnectionStrings: { Blobs: `DefaultEndpointsProtocol=https;AccountName=prodblobs;AccountKey=${azureKey};EndpointSuffix=core.windows.net` } }, null, 2);
// SOPS's age identity, and a Vault token in a compose file
const ageKey = token.age();
const vaultToken = token.vault();
const planted = [github, gitlab, azureKey, ageKey, vaultToken, Buffer.from(gitlab).toString("base64"), ...keyBody.filter((line) => line.length >= 16)];

interface Report {
  findings: { secret: string | null; rule: string | null; path: string; layer: { index: number } | null; preview?: string; fingerprint?: string; severity?: string; deleted: boolean }[];
}

/** No output of a run holds a planted value, or a 16-byte piece of one. */
function expectNoPlanted(output: string): void {
  for (const value of planted) {
    expect(output).not.toContain(value);
    for (let at = 0; at + 16 <= value.length; at += 8) expect(output).not.toContain(value.slice(at, at + 16));
  }
}

// Under CI=true a missing engine throws here: these tests run or fail, never skip.
const up = engineAnswers();

describe.skipIf(!up)("pattern rules through the CLI, against the real engine", () => {
  beforeAll(() => {
    writeFileSync(join(work, "id_ed25519"), key);
    writeFileSync(join(work, "env"), `GITHUB_TOKEN=${github}\n`);
    writeFileSync(join(work, "secret.yaml"), manifest);
    writeFileSync(join(work, "appsettings.json"), appsettings);
    writeFileSync(join(work, "keys.txt"), `# created: 2026-12-03T00:00:00Z\n# public key: age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq\n${ageKey}\n`);
    writeFileSync(join(work, "compose.yaml"), `services:\n  app:\n    environment:\n      VAULT_TOKEN: ${vaultToken}\n`);
    writeFileSync(
      join(work, "Dockerfile"),
      ["FROM local/busybox:1", "COPY id_ed25519 /root/.ssh/id_ed25519", "COPY env /app/.env", "RUN gzip /app/.env", "COPY secret.yaml /app/deploy/secret.yaml", "COPY appsettings.json /app/appsettings.Production.json", "COPY keys.txt /root/.config/sops/age/keys.txt", "COPY compose.yaml /srv/compose.yaml"].join("\n"),
    );
    execFileSync(DOCKER, ["build", "-q", "-t", tag, work], { env: { ...process.env, DOCKER_BUILDKIT: "1" }, stdio: "ignore" });
  });
  afterAll(() => {
    removeImages([tag]);
    rmSync(work, { recursive: true, force: true });
  });

  test("scan IMAGE with no --secret finds the private key, the GitHub token and a GitLab token base64 in a Secret manifest, printing previews only", async () => {
    const cli = await runCli(["scan", tag, "--format", "json"], { cwd: work, secrets: planted });
    expectNoPlanted(cli.output);
    expect(cli.code).toBe(1);
    const report = JSON.parse(cli.stdout.toString()) as Report;
    const got = report.findings.map((f) => [f.rule, f.path, f.secret]);
    expect(got).toContainEqual(["private-key", "root/.ssh/id_ed25519", null]);
    // the plain file, deleted by gzip in a later layer, and inside the .gz
    expect(got).toContainEqual(["github-token", "app/.env", null]);
    expect(got).toContainEqual(["github-token", "app/.env.gz", null]);
    // the token inside the manifest's base64
    expect(got).toContainEqual(["gitlab-token", "app/deploy/secret.yaml", null]);
    expect(got).toContainEqual(["azure-shared-key", "app/appsettings.Production.json", null]);
    expect(got).toContainEqual(["age-secret-key", "root/.config/sops/age/keys.txt", null]);
    expect(got).toContainEqual(["vault-token", "srv/compose.yaml", null]);
    const gh = report.findings.find((f) => f.rule === "github-token" && f.path === "app/.env");
    expect(gh).toMatchObject({ severity: "high", preview: `${github.slice(0, 2)}…${github.slice(-2)}`, deleted: true });
    expect(gh?.fingerprint).toMatch(/^github-token:[0-9a-f]{16}$/);
    // stable: the same fingerprints on a second scan
    const again = JSON.parse((await runCli(["scan", tag, "--format", "json"], { cwd: work, secrets: planted })).stdout.toString()) as Report;
    expect(again.findings.map((f) => f.fingerprint)).toEqual(report.findings.map((f) => f.fingerprint));
  });

  test("the text report and the verdict name the rules, never the values", async () => {
    const cli = await runCli(["scan", tag], { cwd: work, secrets: planted });
    expectNoPlanted(cli.output);
    expect(cli.code).toBe(1);
    expect(cli.output).toMatch(/LEAK: \d+ findings of rule private-key, rule github-token/);
  });

  test("known values win: given the token, it is reported as that secret, not as the rule", async () => {
    const file = join(work, "gh-secret");
    writeFileSync(file, github);
    const cli = await runCli(["scan", tag, "--secret", `gh=${file}`, "--format", "json"], { cwd: work, secrets: planted });
    expectNoPlanted(cli.output);
    const report = JSON.parse(cli.stdout.toString()) as Report;
    expect(report.findings.filter((f) => f.rule === "github-token")).toEqual([]);
    expect(report.findings.filter((f) => f.secret === "gh").map((f) => f.path)).toEqual(expect.arrayContaining(["app/.env", "app/.env.gz"]));
    expect(report.findings.map((f) => f.rule)).toContain("private-key");
  });

  test("--no-rules: nothing to look for is exit 2; with a secret, known values only", async () => {
    const none = await runCli(["scan", tag, "--no-rules"], { cwd: work, secrets: planted });
    expect(none.code).toBe(2);
    expect(none.output).toMatch(/needs at least one --secret/);
    const file = join(work, "other");
    writeFileSync(file, "not-in-this-image-0123456789");
    const known = await runCli(["scan", tag, "--no-rules", "--secret", `other=${file}`], { cwd: work, secrets: [...planted, "not-in-this-image-0123456789"] });
    expect(known.code).toBe(0);
    expect(known.output).toMatch(/OK: 1 secret checked/);
  });

  test("an ignore entry by fingerprint and failOn: critical decide the exit code", async () => {
    const report = JSON.parse((await runCli(["scan", tag, "--format", "json"], { cwd: work, secrets: planted })).stdout.toString()) as Report;
    const critical = report.findings.filter((f) => f.severity === "critical");
    expect(critical.map((f) => f.rule).sort()).toEqual(["age-secret-key", "azure-shared-key", "private-key", "vault-token"]);
    // the operator's config: outside the folder scanned from (a config there is the repository's)
    const operator = mkdtempSync(join(tmpdir(), "sbtest-rules-operator-"));
    const ignore = critical.map((f) => `    - fingerprint: ${f.fingerprint}\n      reason: a test key\n`).join("");
    writeFileSync(join(operator, "safebuild.yml"), `scan:\n  failOn: critical\n  ignore:\n${ignore}`);
    const cli = await runCli(["scan", tag, "--format", "json", "--config", join(operator, "safebuild.yml")], { cwd: work, secrets: planted });
    rmSync(operator, { recursive: true, force: true });
    expectNoPlanted(cli.output);
    // the critical findings are ignored; the GitHub token is high, under the critical threshold
    expect(cli.code).toBe(0);
    const after = JSON.parse(cli.stdout.toString()) as Report & { ignored: { rule: string }[] };
    expect(after.ignored.map((f) => f.rule).sort()).toEqual(["age-secret-key", "azure-shared-key", "private-key", "vault-token"]);
  });

  test("a repository's own config adds rules, but their allow lists are dropped without --allow policy", async () => {
    writeFileSync(
      join(work, "safebuild.yml"),
      ["scan:", "  rules:", "    - id: planted-env", "      regex: 'GITHUB_TOKEN=(\\S+)'", "      keywords: [GITHUB_TOKEN=]", "      allow: ['.*']"].join("\n") + "\n",
    );
    const cli = await runCli(["scan", tag, "--format", "json"], { cwd: work, secrets: planted });
    rmSync(join(work, "safebuild.yml"));
    expectNoPlanted(cli.output);
    expect(cli.output).toMatch(/rule planted-env: its allow lists are not applied/);
    const report = JSON.parse(cli.stdout.toString()) as Report;
    expect(report.findings.filter((f) => f.rule === "planted-env").map((f) => f.path)).toContain("app/.env");
  });

  test("--rules FILE: a rule that does not compile is exit 2 naming it", async () => {
    writeFileSync(join(work, "bad.toml"), `[[rules]]\nid = "broken-one"\nregex = '''x(?<=y)'''\nkeywords = ["abc"]\n`);
    const cli = await runCli(["scan", tag, "--rules", "bad.toml"], { cwd: work, secrets: planted });
    expect(cli.code).toBe(2);
    expect(cli.output).toMatch(/rule broken-one: the regex does not compile/);
  });
});
