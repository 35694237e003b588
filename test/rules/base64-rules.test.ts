import { randomBytes } from "node:crypto";
import { describe, expect, test } from "vitest";
import { decodedRuns } from "../../src/match/base64-runs.js";
import { findInFile, findWhole } from "./find.js";
import { alnum, token } from "./tokens.js";

const b64 = (text: string): string => Buffer.from(text).toString("base64");

const secretManifest = (data: Record<string, string>): string =>
  ["apiVersion: v1", "kind: Secret", "metadata:", "  name: app", "type: Opaque", "data:", ...Object.entries(data).map(([k, v]) => `  ${k}: ${v}`), ""].join("\n");

describe("rules on the base64 values of YAML and JSON files (a Kubernetes Secret's data:, a .dockerconfigjson), decoded", () => {
  test.each([
    ["a GitHub token alone", "github-token", () => token.github("p"), (v: string) => v],
    ["a GitHub token in an env file", "github-token", () => token.github("s"), (v: string) => `LOG_LEVEL=info\nGITHUB_TOKEN=${v}\nREGION=eu-west-1\n`],
    ["a GitLab token", "gitlab-token", () => token.gitlab(), (v: string) => `token: ${v}\n`],
    ["an npm token in an .npmrc", "npm-token", () => token.npm(), (v: string) => `//registry.npmjs.org/:_authToken=${v}\n`],
    ["a Stripe key", "stripe-key", () => token.stripe(), (v: string) => `STRIPE_KEY=${v}`],
    ["a Slack token", "slack-token", () => token.slack(), (v: string) => `{"slack":"${v}"}`],
    ["an Azure storage connection string", "azure-shared-key", () => token.azureStorage(), (v: string) => `DefaultEndpointsProtocol=https;AccountName=prod;AccountKey=${v};EndpointSuffix=core.windows.net`],
    ["a database URL with a password", "url-password", () => `postgres://app:${alnum(20)}@db.internal:5432/app`, (v: string) => `DATABASE_URL=${v}\n`],
  ])("%s, base64 in data:, at any alignment", (_, rule, make, wrap) => {
    // 0, 1 and 2 bytes before it: each base64 alignment of the token
    for (const pad of ["", "\n", "#\n"]) {
      const manifest = secretManifest({ "ca.crt": b64("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), payload: b64(pad + wrap(make())) });
      expect(findInFile("deploy/k8s/secret.yaml", manifest), `${rule} ${pad.length}`).toEqual([rule]);
    }
  });

  test("an AWS key pair in a credentials file, base64 wrapped at 76 columns in a block scalar", () => {
    const creds = `[default]\naws_access_key_id = ${token.awsId()}\naws_secret_access_key = ${token.awsSecret()}\n`;
    const wrapped = b64(creds).replace(/.{76}/g, "$&\n    ");
    expect(findInFile("helm/values.yml", `secrets:\n  credentials: |\n    ${wrapped}\n`)).toEqual(expect.arrayContaining(["aws-access-key", "aws-access-key-id"]));
  });

  test("a .dockerconfigjson (JSON): its auth is found in the decoded JSON", () => {
    const config = JSON.stringify({ auths: { "registry.example.io": { auth: b64(`ci:${alnum(24)}`) } } });
    const secret = JSON.stringify({ kind: "Secret", type: "kubernetes.io/dockerconfigjson", data: { ".dockerconfigjson": b64(config) } });
    expect(findInFile("manifests/pull-secret.json", secret)).toEqual(["docker-config-auth"]);
  });

  test.each([
    ["random base64 (a certificate, an image)", () => randomBytes(30_000).toString("base64").replace(/.{76}/g, "$&\n    ")],
    ["a look-alike too short to be a token", () => b64(`ghp_${alnum(20)}`)],
    ["a template value", () => b64("GITHUB_TOKEN=${GITHUB_TOKEN}")],
    ["a URL with no password", () => b64("https://github.com/acme/app.git")],
    ["an integrity hash (package-lock.json)", () => `sha512-${randomBytes(64).toString("base64")}`],
  ])("stays quiet on %s", (_, make) => {
    expect(findInFile("deploy/secret.yaml", secretManifest({ value: make() }))).toEqual([]);
  });

  test("only YAML and JSON files: base64 in other files is left to known values (their forms are searched everywhere)", () => {
    const manifest = secretManifest({ token: b64(token.github("p")) });
    expect(findInFile("notes/secret.txt", manifest)).toEqual([]);
    expect(findInFile("deploy/secret.yaml.gz!/secret.yaml", manifest)).toEqual(["github-token"]);
  });

  test("a run is decoded across line breaks and indentation, from where it starts", () => {
    const text = `prefix ${b64("hello base64 world 2, a line long enough")}\n`;
    const runs = decodedRuns(Buffer.from(text));
    expect(runs.map((r) => [r.text.toString(), r.from])).toEqual([["hello base64 world 2, a line long enough", 7]]);
    // a block scalar whose first line is short: the lines before the long one that hold only base64 are its start
    const wrapped = Buffer.from(`k: |\n    ${b64("a value 1 wrapped over three lines of base64, Z")!.replace(/^(.{20})(.{32})/, "$1\n    $2\n    ")}\n`);
    expect(decodedRuns(wrapped).map((r) => r.text.toString())).toEqual(["a value 1 wrapped over three lines of base64, Z"]);
    // words and short runs are no base64 value worth decoding
    expect(decodedRuns(Buffer.from("apiVersion: v1\nkind: Secret\n"))).toEqual([]);
  });
});

describe("JSON whose slashes are escaped (PHP's json_encode): the rules run on it unescaped", () => {
  test.each([
    ["a Slack webhook", "slack-webhook", () => token.slackWebhook()],
    ["a database URL with a password", "url-password", () => `postgres://app:${alnum(20)}@db.internal:5432/app`],
  ])("%s", (_, rule, make) => {
    const json = JSON.stringify({ notify: make(), home: "https://example.org/" }).replace(/\//g, "\\/");
    expect(findInFile("var/www/config/settings.json", json)).toEqual([rule]);
  });

  test("a token the file's own bytes show is left to the keyword pass, not found again unescaped", () => {
    const json = JSON.stringify({ token: token.github("p"), home: "https://example.org/" }).replace(/\//g, "\\/");
    expect(findInFile("var/www/config/settings.json", json)).toEqual([]);
    expect(findWhole(json).map((f) => f.rule)).toEqual(["github-token"]);
  });
});
