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
async function scan(secrets: Record<string, string | Buffer>, files: Record<string, Buffer | string>, extra: readonly string[] = [], config: Record<string, unknown> = {}) {
  const image = join(work, `image-${++n}.tar`);
  writeFileSync(image, await dockerArchive([await tarOf(Object.entries(files).map(([name, data]) => ({ name, data: Buffer.from(data) })))], config));
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

describe("a credential where its format names a user or a URL", () => {
  const token = randomBytes(20).toString("hex");
  const gitconfig = `[url "https://${token}@github.com/"]\n\tinsteadOf = https://github.com/\n`;
  const remote = `[remote "origin"]\n\turl = https://${token}@github.com/acme/app.git\n`;

  test(".netrc `login TOKEN password x-oauth-basic` and git-credentials `https://TOKEN:x-oauth-basic@`: the token in a git config found, exit 1", async () => {
    const secrets = { netrc: `machine github.com login ${token} password x-oauth-basic\n`, gitcred: `https://${token}:x-oauth-basic@github.com\n` };
    const run = await scan(secrets, { "root/.gitconfig": gitconfig, "app/.git/config": remote });
    expect(run.found.sort()).toEqual([
      ["gitcred", "app/.git/config", "field"],
      ["gitcred", "root/.gitconfig", "field"],
      ["netrc", "app/.git/config", "field"],
      ["netrc", "root/.gitconfig", "field"],
    ]);
    expect(run.code).toBe(1);
  });

  test("GitHub's docs quoting x-oauth-basic next to those secrets: no finding, exit 0", async () => {
    const secrets = { netrc: `machine github.com login ${token} password x-oauth-basic\n`, gitcred: `https://${token}:x-oauth-basic@github.com\n` };
    const run = await scan(secrets, { "usr/share/doc/git/README.md": "Use a token as the user name: https://TOKEN:x-oauth-basic@github.com (password x-oauth-basic)\n" });
    expect(run.found).toEqual([]);
    expect(run.code).toBe(0);
  });

  test("webhook and bot URLs in a .env: found in a config and a bundle; the plain API URL is not, exit 1", async () => {
    const discord = `https://discord.com/api/webhooks/1187654321098765432/${randomBytes(51).toString("base64url")}`;
    const telegram = `https://api.telegram.org/bot6123456789:AAH${randomBytes(24).toString("base64url")}/`;
    const env = `NODE_ENV=production\nDISCORD_WEBHOOK_URL=${discord}\nTELEGRAM_API_URL=${telegram}\nAPI_URL=https://api.example.com/v1\n`;
    const run = await scan(
      { hooks: env },
      { "app/config/production.json": `{"alerts":{"discord":"${discord}"}}`, "app/dist/assets/index-4f2a.js": `const T="${telegram}";fetch(T+"sendMessage")`, "app/config/default.json": '{"api":"https://api.example.com/v1"}' },
    );
    expect(run.found.sort()).toEqual([
      ["hooks", "app/config/production.json", "field"],
      ["hooks", "app/dist/assets/index-4f2a.js", "field"],
    ]);
    expect(run.code).toBe(1);
  });

  test("Maven <sonar.login>squ_…</sonar.login>: the token in sonar-project.properties found, exit 1", async () => {
    const squ = `squ_${randomBytes(20).toString("hex")}`;
    const settings = `<settings>\n  <profiles>\n    <profile>\n      <id>sonar</id>\n      <properties>\n        <sonar.host.url>https://sonar.example.com</sonar.host.url>\n        <sonar.login>${squ}</sonar.login>\n      </properties>\n    </profile>\n  </profiles>\n</settings>\n`;
    const run = await scan({ m2: settings }, { "app/sonar-project.properties": `sonar.projectKey=acme_app\nsonar.host.url=https://sonar.example.com\nsonar.token=${squ}\n` });
    expect(run.found).toEqual([["m2", "app/sonar-project.properties", "field"]]);
    expect(run.code).toBe(1);
  });
});

describe("public settings of a structured secret that clean images hold too", () => {
  test(".npmrc node-options, an image with the same NODE_OPTIONS: no finding, exit 0; the token copied out: found", async () => {
    const token = `Zp4${randomBytes(24).toString("base64url")}`;
    const npmrc = `@acme:registry=https://npm.pkg.github.com/\n//npm.pkg.github.com/:_authToken=${token}\nregistry=https://registry.npmjs.org/\nsave-exact=true\npublic-hoist-pattern[]=*eslint*\nnode-options=--max-old-space-size=4096\n`;
    const files = { "app/package.json": '{"name":"app","scripts":{"build":"NODE_OPTIONS=--max-old-space-size=4096 next build"}}' };
    const env = { config: { Env: ["PATH=/usr/bin:/bin", "NODE_OPTIONS=--max-old-space-size=4096"] } };
    const clean = await scan({ npmrc }, files, [], env);
    expect(clean.found).toEqual([]);
    expect(clean.code).toBe(0);
    const leak = await scan({ npmrc }, { ...files, "app/.yarnrc.yml": `npmAuthToken: ${token}\n` }, [], env);
    expect(leak.found).toEqual([["npmrc", "app/.yarnrc.yml", "field"]]);
  });

  test("docker config.json proxies.noProxy, an image with the same NO_PROXY: no finding, exit 0; the auth's password copied out: found", async () => {
    const pass = `Xq7${randomBytes(12).toString("base64url")}`;
    const config = JSON.stringify({ auths: { "registry.example.com": { auth: Buffer.from(`deploy:${pass}`).toString("base64") } }, proxies: { default: { httpProxy: "http://proxy.corp.example.com:3128", noProxy: "localhost,127.0.0.1,.corp.example.com" } } }, null, "\t");
    const env = { config: { Env: ["PATH=/usr/bin:/bin", "NO_PROXY=localhost,127.0.0.1,.corp.example.com", "HTTP_PROXY=http://proxy.corp.example.com:3128"] } };
    const clean = await scan({ docker: config }, { "etc/os-release": "NAME=Debian\n" }, [], env);
    expect(clean.found).toEqual([]);
    expect(clean.code).toBe(0);
    const leak = await scan({ docker: config }, { "app/login.sh": `echo ${pass} | docker login -u deploy --password-stdin registry.example.com\n` }, [], env);
    expect(leak.found).toEqual([["docker", "app/login.sh", "field"]]);
  });

  test("an .ovpn next to openvpn's sample client.conf: no finding, exit 0; its tls-auth key shipped as ta.key: found", async () => {
    const staticKey = Array.from({ length: 16 }, () => randomBytes(16).toString("hex")).join("\n");
    const armoured = `-----BEGIN OpenVPN Static key V1-----\n${staticKey}\n-----END OpenVPN Static key V1-----\n`;
    const ovpn = `client\ndev tun\nproto udp\nremote vpn.example.com 1194\nresolv-retry infinite\nnobind\npersist-key\npersist-tun\nremote-cert-tls server\ncipher AES-256-GCM\nkey-direction 1\nverb 3\n<ca>\n${s.CERT}</ca>\n<tls-auth>\n#\n# 2048 bit OpenVPN static key\n#\n${armoured}</tls-auth>\n`;
    const sample = "# Sample client-side OpenVPN 2.0 config file #\nclient\ndev tun\nproto udp\nremote my-server-1 1194\nresolv-retry infinite\nnobind\npersist-key\npersist-tun\nca ca.crt\ncert client.crt\nkey client.key\nremote-cert-tls server\ntls-auth ta.key 1\ncipher AES-256-CBC\nverb 3\n";
    const docs = { "usr/share/doc/openvpn/examples/sample-config-files/client.conf": sample, "usr/share/ca-certificates/corp/ca.crt": s.CERT };
    const clean = await scan({ vpn: ovpn }, docs);
    expect(clean.found).toEqual([]);
    expect(clean.code).toBe(0);
    const leak = await scan({ vpn: ovpn }, { ...docs, "etc/openvpn/ta.key": `#\n# 2048 bit OpenVPN static key\n#\n${armoured}` });
    expect(leak.found.map(([id, path]) => [id, path])).toContainEqual(["vpn", "etc/openvpn/ta.key"]);
    expect(leak.found.every(([, path]) => path === "etc/openvpn/ta.key")).toBe(true);
    expect(leak.code).toBe(1);
  });

  test("an EKS kubeconfig's cluster ARN in a deploy script: no finding, exit 0; its token copied out: found", async () => {
    const arn = "arn:aws:eks:eu-west-1:123456789012:cluster/prod";
    const token = randomBytes(30).toString("base64url");
    const kubeconfig = `apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: https://ABCDEF1234567890.gr7.eu-west-1.eks.amazonaws.com\n  name: ${arn}\ncontexts:\n- context:\n    cluster: ${arn}\n    user: ${arn}\n  name: prod\ncurrent-context: prod\nusers:\n- name: ${arn}\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: aws\n      args: [--region, eu-west-1, eks, get-token, --cluster-name, prod]\n- name: ci\n  user:\n    token: ${token}\n`;
    const deploy = `#!/bin/sh\nkubectl --context ${arn} apply -f k8s/\n`;
    const clean = await scan({ kube: kubeconfig }, { "deploy/deploy.sh": deploy });
    expect(clean.found).toEqual([]);
    expect(clean.code).toBe(0);
    const leak = await scan({ kube: kubeconfig }, { "deploy/deploy.sh": `${deploy}kubectl --token ${token} get pods\n` });
    expect(leak.found).toEqual([["kube", "deploy/deploy.sh", "field"]]);
  });

  test("a Yarn 1 .yarnrc, a key with its chain and comments, an env script: an image with the same public lines (a project's .yarnrc, the chain, /etc/profile's PATH): no finding, exit 0; each credential copied out: found", async () => {
    const token = `Yq5${randomBytes(24).toString("base64url")}`;
    const password = `Pw8${randomBytes(16).toString("base64url")}`;
    const key = s.pemKey();
    const secrets = { yarn: s.yarnrc(token), tls: s.pemBundleWithComments(key), appenv: s.envScript(password) };
    const files = {
      "app/.yarnrc": 'registry "https://registry.yarnpkg.com"\nyarn-offline-mirror "./npm-packages-offline-cache"\nlastUpdateCheck 1767225600000\n',
      "etc/ssl/certs/chain.pem": `# chain: Acme Internal CA (G2)\n${s.CERT}`,
      "etc/profile.d/app.sh": 'export PATH="/opt/app/bin:$PATH"\nexport APP_HOME=/opt/app\n',
    };
    const clean = await scan(secrets, files);
    expect(clean.found).toEqual([]);
    expect(clean.code).toBe(0);
    const leak = await scan(secrets, { ...files, "app/.npmrc": `//registry.npmjs.org/:_authToken=${token}\n`, "app/key.b64": Buffer.from(key.split("\n").slice(1, -2).join("")).toString("latin1"), "app/db.conf": `password=${password}\n` });
    expect([...new Set(leak.found.map(([id, path]) => `${id} ${path}`))].sort()).toEqual(["appenv app/db.conf", "tls app/key.b64", "yarn app/.npmrc"]);
    expect(leak.code).toBe(1);
  });
});
