import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { analyzeStructured } from "../../../src/match/structured/analyze.js";
import { describeSearch } from "../../../src/match/structured/describe.js";
import { variantsOf } from "../../../src/match/variants.js";
import * as s from "./samples.js";

// Credentials a format hides in a part named as public (a .netrc login, a webhook URL, a
// `*.login` property) and public settings that looked like credentials (npm options, docker
// proxies, EKS ARNs, OpenVPN directives), from an adversarial review.

/** Variants the scanner would search (8 bytes or more) that occur in `haystack`. */
const hits = (secret: string, haystack: string): string[] =>
  variantsOf("s", Buffer.from(secret))
    .filter((v) => v.bytes.length >= 8 && Buffer.from(haystack).includes(v.bytes))
    .map((v) => v.encoding);
const isNeedle = (secret: string, part: string): boolean => variantsOf("s", Buffer.from(secret)).some((v) => v.bytes.equals(Buffer.from(part)));
const formatOf = (secret: string): string | undefined => analyzeStructured(Buffer.from(secret.replace(/\n$/, "")))?.format;

const hex40 = randomBytes(20).toString("hex");
const ghp = `ghp_${randomBytes(27).toString("base64url")}`;
const glpat = `glpat-${randomBytes(15).toString("base64url")}`;

describe("a token as the .netrc login or the git-credentials user", () => {
  test("every GitHub classic token (40 random hex digits) is one, whatever its letters: 40 hex measure under 3.5 bits one time in twenty", () => {
    const missed = Array.from({ length: 400 }, () => randomBytes(20).toString("hex")).filter((token) => !isNeedle(`machine github.com login ${token} password x-oauth-basic\n`, token));
    expect(missed).toEqual([]);
  });

  const gitconfig = `[url "https://${hex40}@github.com/"]\n\tinsteadOf = https://github.com/\n`;

  test("netrc `login TOKEN password x-oauth-basic`: the login is searched, the marker is not", () => {
    const secret = `machine github.com login ${hex40} password x-oauth-basic\n`;
    expect(formatOf(secret)).toBe("netrc");
    expect(isNeedle(secret, hex40)).toBe(true);
    expect(isNeedle(secret, "x-oauth-basic")).toBe(false);
    expect(hits(secret, gitconfig)).not.toEqual([]);
    expect(hits(secret, "git clone https://x-oauth-basic@github.com/ # see GitHub docs: password x-oauth-basic\n")).toEqual([]);
    expect(describeSearch(Buffer.from(secret))).toBe("netrc; searched: whole value, 1 credential (login line 1); not searched alone: password line 1 (public marker: the token is the user name)");
  });

  test.each([
    ["git", `password ${ghp}`],
    ["x-access-token", `password ${ghp}`],
    ["oauth2", `password ${glpat}`],
    ["deploy", `password ${ghp}`],
    ["octocat-bot-2024-prod", `password ${ghp}`],
  ])("netrc login %s with the token as password: the password is searched, the user name is not", (login, rest) => {
    const secret = `machine github.com\n  login ${login}\n  ${rest}\n`;
    const token = rest.split(" ")[1] ?? "";
    expect(isNeedle(secret, token)).toBe(true);
    expect(isNeedle(secret, login)).toBe(false);
    expect(isNeedle(secret, `  login ${login}`)).toBe(false);
  });

  test("git-credentials `https://TOKEN:x-oauth-basic@github.com`: the token is searched, the marker is not", () => {
    const secret = `https://${hex40}:x-oauth-basic@github.com\n`;
    expect(formatOf(secret)).toBe("git-credentials");
    expect(isNeedle(secret, hex40)).toBe(true);
    expect(isNeedle(secret, "x-oauth-basic")).toBe(false);
    expect(hits(secret, `[remote "origin"]\n\turl = https://${hex40}@github.com/acme/app.git\n`)).not.toEqual([]);
    expect(describeSearch(Buffer.from(secret))).toBe("git-credentials; searched: whole value, 1 credential (token as user name line 1); not searched alone: password line 1 (public marker: the token is the user name)");
  });

  test("git-credentials with the token as password: searched; the user names x-access-token, oauth2 are not", () => {
    const secret = `https://x-access-token:${ghp}@github.com\nhttps://oauth2:${glpat}@gitlab.com\n`;
    expect(isNeedle(secret, ghp)).toBe(true);
    expect(isNeedle(secret, glpat)).toBe(true);
    expect(isNeedle(secret, "x-access-token")).toBe(false);
    expect(isNeedle(secret, "oauth2")).toBe(false);
  });
});

describe("webhook and bot URLs in a .env", () => {
  const discordToken = randomBytes(51).toString("base64url");
  const discord = `https://discord.com/api/webhooks/1187654321098765432/${discordToken}`;
  const botToken = `6123456789:AAH${randomBytes(24).toString("base64url")}`;
  const telegram = `https://api.telegram.org/bot${botToken}/`;
  const slack = `https://hooks.slack.com/services/T04ABCD12/B05EFGH34/${randomBytes(18).toString("base64url")}`;
  const secret = `NODE_ENV=production\nDISCORD_WEBHOOK_URL=${discord}\nTELEGRAM_API_URL=${telegram}\nSLACK_WEBHOOK=${slack}\nAPI_URL=https://api.example.com/v1\nDOCS_ENDPOINT=https://docs.example.com/getting-started/installation-guide\n`;

  test("the URL and the token in its path are searched", () => {
    expect(formatOf(secret)).toBe("dotenv");
    for (const part of [discord, discordToken, telegram, botToken, slack]) expect(isNeedle(secret, part), part.slice(0, 30)).toBe(true);
    expect(hits(secret, `{"alerts":{"discord":"${discord}"}}`)).not.toEqual([]);
    expect(hits(secret, `const T="${telegram}";fetch(T+"sendMessage")`)).not.toEqual([]);
    expect(hits(secret, `Bot(token="${botToken}")`)).not.toEqual([]);
  });

  test("plain URLs stay public, as does a webhook's numeric id", () => {
    for (const part of ["https://api.example.com/v1", "API_URL=https://api.example.com/v1", "https://docs.example.com/getting-started/installation-guide", "installation-guide", "1187654321098765432"]) {
      expect(isNeedle(secret, part), part).toBe(false);
    }
    expect(hits(secret, "API_URL=https://api.example.com/v1\nsee https://docs.example.com/getting-started/installation-guide\n")).toEqual([]);
  });

  test("check names them, never their bytes", () => {
    const text = describeSearch(Buffer.from(secret));
    expect(text).toBe("dotenv; searched: whole value, 3 credentials (DISCORD_WEBHOOK_URL line 2; TELEGRAM_API_URL line 3; SLACK_WEBHOOK line 4); not searched alone: NODE_ENV line 1 (setting); API_URL line 5, DOCS_ENDPOINT line 6 (URL)");
  });
});

describe("a token under a key that names a user: Maven <sonar.login>, a known prefix anywhere", () => {
  const squ = `squ_${randomBytes(20).toString("hex")}`;
  const settings = (login: string): string =>
    `<settings>\n  <profiles>\n    <profile>\n      <id>sonar</id>\n      <properties>\n        <sonar.host.url>https://sonar.example.com</sonar.host.url>\n        <sonar.login>${login}</sonar.login>\n      </properties>\n    </profile>\n  </profiles>\n</settings>\n`;

  test.each([
    ["a squ_ token", squ],
    ["a legacy 40-hex token", hex40],
  ])("%s: searched", (_name, login) => {
    const secret = settings(login);
    expect(formatOf(secret)).toBe("maven-settings");
    expect(isNeedle(secret, login)).toBe(true);
    expect(hits(secret, `sonar.projectKey=acme_app\nsonar.token=${login}\n`)).not.toEqual([]);
    expect(describeSearch(Buffer.from(secret))).toContain("1 credential (sonar.login line 7)");
  });

  test("a user name as login, the host URL and a server's username stay public", () => {
    const secret = settings("ci-sonar-user").replace("<profiles>", "<servers><server><id>corp</id><username>ci-deployer</username></server></servers>\n  <profiles>");
    for (const part of ["ci-sonar-user", "ci-deployer", "https://sonar.example.com", "        <sonar.login>ci-sonar-user</sonar.login>"]) expect(isNeedle(secret, part), part).toBe(false);
  });

  test("a value with a known token prefix is a credential whatever its key", () => {
    const secret = `APP_NAME=demo\nGITHUB_USER=${ghp}\nGITLAB_ID=${glpat}\nREGISTRY_URL=${`npm_${randomBytes(27).toString("base64url")}`}\nGITHUB_USER_NAME=octocat\n`;
    expect(isNeedle(secret, ghp)).toBe(true);
    expect(isNeedle(secret, glpat)).toBe(true);
    expect(isNeedle(secret, "GITHUB_USER_NAME=octocat")).toBe(false);
  });
});

describe("an .npmrc: only its auth keys are credentials", () => {
  const token = `Zp4${randomBytes(24).toString("base64url")}`;
  const npmrc = (authToken: string): string =>
    `@acme:registry=https://npm.pkg.github.com/\n//npm.pkg.github.com/:_authToken=${authToken}\nregistry=https://registry.npmjs.org/\nsave-exact=true\nloglevel=warn\ninit-author-name=Jane Doe\ninit-author-email=jane@example.com\nprefix=/home/jane/.npm-global\npublic-hoist-pattern[]=*eslint*\nnode-options=--max-old-space-size=4096\n`;

  test("node-options and the other npm settings are not searched alone; the token is", () => {
    const secret = npmrc(token);
    expect(formatOf(secret)).toBe("npmrc");
    expect(isNeedle(secret, token)).toBe(true);
    for (const part of ["node-options=--max-old-space-size=4096", "--max-old-space-size=4096", "init-author-name=Jane Doe", "public-hoist-pattern[]=*eslint*"]) expect(isNeedle(secret, part), part).toBe(false);
    expect(hits(secret, "NODE_OPTIONS=--max-old-space-size=4096\n")).toEqual([]);
    expect(hits(secret, `NPM_TOKEN=${token}\n`)).not.toEqual([]);
    expect(describeSearch(Buffer.from(secret))).toMatch(/^npmrc; searched: whole value, 1 credential \(_authToken line 2\); not searched alone: .*node-options line 10 \(npm setting\)/);
  });

  test("a proxy password, a base64 _password and a known token prefix under any npm key are still searched", () => {
    const pass = `Px9${randomBytes(12).toString("base64url")}`;
    const npmToken = `npm_${randomBytes(27).toString("base64url")}`;
    const secret = `registry=https://npm.acme.example/\nhttps-proxy=http://ci:${pass}@proxy.acme.example:3128\n//npm.acme.example/:_password=${Buffer.from(pass).toString("base64")}\n//npm.acme.example/:username=ci\nnode-options=${npmToken}\n`;
    expect(formatOf(secret)).toBe("npmrc");
    expect(isNeedle(secret, pass)).toBe(true);
    expect(isNeedle(secret, npmToken)).toBe(true);
    expect(isNeedle(secret, "//npm.acme.example/:username=ci")).toBe(false);
  });
});

describe("a docker config.json: only auth, identitytoken, registrytoken, password and a proxy's user:pass", () => {
  const pass = `Xq7${randomBytes(12).toString("base64url")}`;
  const identity = randomBytes(30).toString("base64url");
  const config = (proxy: Record<string, string>): string =>
    JSON.stringify(
      {
        auths: { "registry.example.com": { auth: Buffer.from(`deploy:${pass}`).toString("base64") }, "acr.example.io": { identitytoken: identity } },
        credHelpers: { "123456789012.dkr.ecr.eu-west-1.amazonaws.com": "ecr-login", "gcr.io": "gcloud" },
        detachKeys: "ctrl-e,e",
        psFormat: "table {{.ID}}\\t{{.Image}}\\t{{.Status}}",
        proxies: { default: proxy },
      },
      null,
      "\t",
    ) + "\n";

  test("noProxy and a proxy URL without credentials are not searched alone; the auth and identity token are", () => {
    const secret = config({ httpProxy: "http://proxy.corp.example.com:3128", noProxy: "localhost,127.0.0.1,.corp.example.com" });
    expect(formatOf(secret)).toBe("docker-config");
    for (const part of [pass, `deploy:${pass}`, identity]) expect(isNeedle(secret, part)).toBe(true);
    for (const part of ["localhost,127.0.0.1,.corp.example.com", "http://proxy.corp.example.com:3128", '\t\t\t"noProxy": "localhost,127.0.0.1,.corp.example.com"']) expect(isNeedle(secret, part), part).toBe(false);
    expect(hits(secret, "NO_PROXY=localhost,127.0.0.1,.corp.example.com\nHTTP_PROXY=http://proxy.corp.example.com:3128\n")).toEqual([]);
    expect(describeSearch(Buffer.from(secret))).toMatch(/^docker-config; searched: whole value, 2 credentials \(auth line 4; identitytoken line 7\); not searched alone: .*noProxy.* \(docker setting\)/);
  });

  test("a proxy URL's password is searched", () => {
    const proxyPass = `Pp5${randomBytes(12).toString("base64url")}`;
    const secret = config({ httpsProxy: `http://ci:${proxyPass}@proxy.corp.example.com:3128` });
    expect(isNeedle(secret, proxyPass)).toBe(true);
    expect(isNeedle(secret, `ci:${proxyPass}`)).toBe(true);
  });
});

describe("an OpenVPN client config (.ovpn)", () => {
  const key = s.pemKey();
  const keyBody = key.split("\n").slice(1, -2).join("");
  const staticKey = Array.from({ length: 16 }, () => randomBytes(16).toString("hex"));
  const password = `Vp3${randomBytes(12).toString("base64url")}`;
  const directives = "client\ndev tun\nproto udp\nremote vpn.example.com 1194\nresolv-retry infinite\nnobind\npersist-key\npersist-tun\nremote-cert-tls server\ncipher AES-256-GCM\nauth SHA256\nkey-direction 1\nverb 3\n";
  const ovpn = `${directives}<ca>\n${s.CERT}</ca>\n<cert>\n${s.CERT}</cert>\n<key>\n${key}</key>\n<tls-auth>\n#\n# 2048 bit OpenVPN static key\n#\n-----BEGIN OpenVPN Static key V1-----\n${staticKey.join("\n")}\n-----END OpenVPN Static key V1-----\n</tls-auth>\n<auth-user-pass>\nvpn-user\n${password}\n</auth-user-pass>\n`;
  const sampleClientConf = `# Sample client-side OpenVPN 2.0 config file #\nclient\ndev tun\nproto udp\nremote my-server-1 1194\nresolv-retry infinite\nnobind\npersist-key\npersist-tun\nca ca.crt\ncert client.crt\nkey client.key\nremote-cert-tls server\ntls-auth ta.key 1\ncipher AES-256-CBC\nverb 3\n`;

  test("recognised; the key, the static key and the password are searched", () => {
    expect(formatOf(ovpn)).toBe("openvpn");
    for (const part of [keyBody, key.split("\n")[1] ?? "", staticKey.join(""), ...staticKey, password]) expect(isNeedle(ovpn, part), part.slice(0, 12)).toBe(true);
    expect(hits(ovpn, `-----BEGIN OpenVPN Static key V1-----\n${staticKey.join("\n")}\n-----END OpenVPN Static key V1-----\n`)).not.toEqual([]);
    expect(hits(ovpn, key)).not.toEqual([]);
  });

  test("directives, the CA and certificate, the armour and the user name are not searched alone", () => {
    for (const part of ["resolv-retry infinite", "remote-cert-tls server", "remote vpn.example.com 1194", "-----BEGIN OpenVPN Static key V1-----", "# 2048 bit OpenVPN static key", "vpn-user", ...s.CERT.split("\n").filter((l) => l.length >= 8)]) {
      expect(isNeedle(ovpn, part), part.slice(0, 24)).toBe(false);
    }
    expect(hits(ovpn, sampleClientConf)).toEqual([]);
  });

  test("check names the blocks and lines, never a value", () => {
    const text = describeSearch(Buffer.from(ovpn));
    expect(text).toMatch(/^openvpn; searched: whole value, 3 credentials \(key PRIVATE KEY block lines [\d-]+; tls-auth lines [\d-]+; auth-user-pass password line \d+\), private numbers of 1 key .*directives lines 1-13 \(setting\)/);
    for (const part of [password, ...staticKey]) expect(text).not.toContain(part);
  });

  test("<pkcs12>, <tls-crypt-v2> and <askpass>: each body line, the body and the passphrase are searched", () => {
    const p12 = randomBytes(150).toString("base64").replace(/.{64}/g, "$&\n");
    const v2 = randomBytes(120).toString("base64").replace(/.{64}/g, "$&\n");
    const passphrase = `Kp8${randomBytes(12).toString("base64url")}`;
    const secret = `${directives}<pkcs12>\n${p12}\n</pkcs12>\n<tls-crypt-v2>\n-----BEGIN OpenVPN tls-crypt-v2 client key-----\n${v2}\n-----END OpenVPN tls-crypt-v2 client key-----\n</tls-crypt-v2>\n<askpass>\n${passphrase}\n</askpass>\n`;
    expect(formatOf(secret)).toBe("openvpn");
    for (const part of [...p12.split("\n"), p12.replace(/\n/g, ""), ...v2.split("\n"), v2.replace(/\n/g, ""), passphrase]) expect(isNeedle(secret, part), part.slice(0, 12)).toBe(true);
    expect(isNeedle(secret, "-----BEGIN OpenVPN tls-crypt-v2 client key-----")).toBe(false);
  });

  test("a list of words is no OpenVPN config: it keeps the line search", () => {
    expect(analyzeStructured(Buffer.from("first line of text\nsecond line of text\nremote work allowed"))).toBeUndefined();
  });
});

describe("an EKS kubeconfig: ARNs and names are public, the token and exec secrets are not", () => {
  const arn = "arn:aws:eks:eu-west-1:123456789012:cluster/prod";
  const token = randomBytes(30).toString("base64url");
  const vault = `hvs.${randomBytes(24).toString("base64url")}`;
  // not starting with `-` (1 run in 32 did): after `--token` such a word reads as the next flag, and the credential is named `args`
  const argToken = randomBytes(24).toString("base64url").replace(/^-/, "t");
  const gke = "gke_acme-prod-381207_europe-west1_prod-cluster-7";
  const kubeconfig = [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- cluster:",
    `    certificate-authority-data: ${Buffer.from(s.CERT).toString("base64")}`,
    "    server: https://ABCDEF1234567890.gr7.eu-west-1.eks.amazonaws.com",
    `  name: ${arn}`,
    "- cluster:",
    "    server: https://34.118.2.10",
    `  name: ${gke}`,
    "contexts:",
    "- context:",
    `    cluster: ${arn}`,
    `    user: ${arn}`,
    "  name: prod",
    "- context:",
    `    cluster: ${gke}`,
    `    user: ${gke}`,
    `  name: ${gke}`,
    "current-context: prod",
    "users:",
    `- name: ${arn}`,
    "  user:",
    "    exec:",
    "      apiVersion: client.authentication.k8s.io/v1beta1",
    "      command: aws",
    "      args: [--region, eu-west-1, eks, get-token, --cluster-name, prod, --role-arn, 'arn:aws:iam::123456789012:role/deployer']",
    "      env:",
    "      - name: VAULT_TOKEN",
    `        value: ${vault}`,
    `- name: ${gke}`,
    "  user:",
    "    exec:",
    "      command: get-creds",
    `      args: [--token, ${argToken}]`,
    "- name: ci",
    "  user:",
    `    token: ${token}`,
    "",
  ].join("\n");

  test("the ARN, GKE names and server URLs are not searched alone", () => {
    expect(formatOf(kubeconfig)).toBe("kubeconfig");
    for (const part of [arn, gke, "arn:aws:iam::123456789012:role/deployer", `    cluster: ${arn}`, `  name: ${gke}`]) expect(isNeedle(kubeconfig, part), part).toBe(false);
    expect(hits(kubeconfig, `#!/bin/sh\nkubectl --context ${arn} apply -f k8s/\nkubectl --context ${gke} get pods\n`)).toEqual([]);
  });

  test("the token, an exec env secret and an exec --token argument are searched", () => {
    for (const part of [token, vault, argToken]) expect(isNeedle(kubeconfig, part)).toBe(true);
    expect(hits(kubeconfig, `curl -H "Authorization: Bearer ${token}" https://k8s/\n`)).not.toEqual([]);
    expect(describeSearch(Buffer.from(kubeconfig))).toMatch(/^kubeconfig; searched: whole value, 3 credentials \(VAULT_TOKEN line 30; token line 35; token line 38\); not searched alone: /);
  });
});

describe("a key and its certificates as openssl prints them (x509 -text, rsa -text: easy-rsa's files)", () => {
  // a CA and a client certificate it signed, made by openssl itself
  const dir = mkdtempSync(join(tmpdir(), "sbtest-pem-text-"));
  const sh = (...args: string[]): void => void execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
  sh("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=corp-ca", "-days", "30");
  sh("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=client");
  sh("x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "client.crt", "-days", "30");
  const text = (...args: string[]): string => execFileSync("openssl", args, { cwd: dir }).toString();
  const key = readFileSync(join(dir, "client.key"), "latin1");
  const caPem = readFileSync(join(dir, "ca.crt"), "latin1");
  const bundles = {
    "key, then each certificate with openssl's text": key + text("x509", "-in", "client.crt", "-text") + text("x509", "-in", "ca.crt", "-text"),
    "the key as openssl rsa -text prints it, then the CA": text("rsa", "-in", "client.key", "-text") + caPem,
  };
  rmSync(dir, { recursive: true, force: true });

  test.each(Object.entries(bundles))("%s: recognised; the CA certificate installed alone is no finding, the key is", (_name, bundle) => {
    expect(formatOf(bundle)).toBe("pem");
    expect(hits(bundle, `/usr/local/share/ca-certificates/corp.crt:\n${caPem}`)).toEqual([]);
    expect(hits(bundle, key)).not.toEqual([]);
  });
});

describe("an OpenPGP signing key, whose public key a signing build ships", () => {
  const home = mkdtempSync(join(tmpdir(), "sbtest-gpg-"));
  const gpg = (...args: string[]): Buffer => execFileSync("gpg", ["--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", "", ...args], { stdio: ["ignore", "pipe", "ignore"] });
  gpg("--quick-gen-key", "Release Signing <release@example.com>", "rsa2048", "sign", "never");
  const secret = gpg("--armor", "--export-secret-keys").toString("latin1");
  const publicKey = gpg("--armor", "--export").toString("latin1");
  const binary = gpg("--export-secret-keys");
  rmSync(home, { recursive: true, force: true });

  test("the public key export (KEYS, an apt keyring's .asc) is no finding; the secret key, armoured, re-wrapped or binary, is", () => {
    expect(formatOf(secret)).toBe("pem");
    expect(hits(secret, `app/dist/release.asc:\n${publicKey}`)).toEqual([]);
    expect(hits(secret, secret)).not.toEqual([]);
    const body = secret.split("\n").filter((l) => /^[A-Za-z0-9+/=]+$/.test(l) && !l.startsWith("=")).join("");
    expect(hits(secret, `{"key":"${body}"}`)).toContain("pem");
    expect(variantsOf("s", Buffer.from(secret, "latin1")).some((v) => v.bytes.length >= 8 && binary.includes(v.bytes))).toBe(true);
  });
});

describe("a .pgpass given whole", () => {
  const pw = `Pg-${randomBytes(12).toString("base64url")}`;
  test("one line: recognised; the password alone is searched, as the client reads it and as written", () => {
    const secret = `db.internal:5432:app:app:${pw}\\:x\n`;
    expect(formatOf(secret)).toBe("pgpass");
    expect(isNeedle(secret, `${pw}:x`)).toBe(true);
    expect(isNeedle(secret, `${pw}\\:x`)).toBe(true);
    expect(hits(secret, `spring.datasource.password=${pw}:x\n`)).not.toEqual([]);
    expect(hits(secret, "host=db.internal port=5432 dbname=app user=app\n")).toEqual([]);
  });

  test("several entries with a comment and a wildcard: each password searched; an entry without one is not", () => {
    const other = `Pg-${randomBytes(12).toString("base64url")}`;
    const secret = `# prod\n*:*:*:replicator:${pw}\nreplica.internal:5433:*:app:${other}\n`;
    expect(formatOf(secret)).toBe("pgpass");
    expect([isNeedle(secret, pw), isNeedle(secret, other)]).toEqual([true, true]);
  });
});

describe("a service-account key re-serialised and base64'd into a Kubernetes Secret (jq -c, Helm's toJson | b64enc)", () => {
  const manifest = (sa: string): string => `apiVersion: v1\nkind: Secret\ndata:\n  key.json: ${Buffer.from(JSON.stringify(JSON.parse(sa))).toString("base64")}\n`;
  test("its private key is found inside the base64 whatever else the re-serialising changed; another key's Secret is not", () => {
    const sa = s.serviceAccount();
    expect(hits(sa, manifest(sa))).toContain("json-base64");
    expect(hits(sa, manifest(s.serviceAccount()))).toEqual([]);
  });
});
