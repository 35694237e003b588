import { randomBytes } from "node:crypto";
import { describe, expect, test } from "vitest";
import { analyzeStructured } from "../../../src/match/structured/analyze.js";
import { describeSearch } from "../../../src/match/structured/describe.js";
import { variantsOf } from "../../../src/match/variants.js";
import * as s from "./samples.js";

/** Variants the scanner would search (8 bytes or more) that occur in `haystack`. */
const hits = (secret: string, haystack: string): string[] =>
  variantsOf("s", Buffer.from(secret))
    .filter((v) => v.bytes.length >= 8 && Buffer.from(haystack).includes(v.bytes))
    .map((v) => v.encoding);
const isNeedle = (secret: string, part: string): boolean => variantsOf("s", Buffer.from(secret)).some((v) => v.bytes.equals(Buffer.from(part)));

const token = `npm_${randomBytes(20).toString("base64url")}`;
const awsSecret = randomBytes(30).toString("base64url");
const stripe = `sk_live_${randomBytes(24).toString("base64url")}`;
const dbPass = randomBytes(15).toString("base64url");
const key = s.pemKey();
const keyBody = key.split("\n").slice(1, -2).join("");
const dockerPass = `dckr_pat_${randomBytes(20).toString("base64url")}`;
const kubeToken = `eyJhbGciOiJSUzI1NiJ9.${randomBytes(60).toString("base64url")}`;
const netrcPass = randomBytes(24).toString("base64url");
const ghp = `ghp_${randomBytes(27).toString("base64url")}`;
const pypi = `pypi-${randomBytes(60).toString("base64url")}`;
const mavenPass = `Vq7${randomBytes(18).toString("base64url")}`;
const nugetPass = `Nq4${randomBytes(18).toString("base64url")}`;

interface Case {
  readonly format: string;
  readonly secret: string;
  /** Needles the secret must give. */
  readonly needles: readonly string[];
  /** Parts of the secret that must not be needles. */
  readonly publicParts: readonly string[];
  /** Where only the credential leaked: must be found. */
  readonly leak: string;
  /** A clean look-alike: the same public lines, another credential. */
  readonly lookAlike: string;
}

const cases: Record<string, Case> = {
  npmrc: {
    format: "npmrc",
    secret: s.npmrc(token),
    needles: [token, `//npm.pkg.github.com/:_authToken=${token}`],
    publicParts: ["@acme:registry=https://npm.pkg.github.com/", "registry=https://registry.npmjs.org/", "always-auth=true"],
    leak: `export NPM_TOKEN=${token}\n`,
    lookAlike: s.npmrc("${NPM_TOKEN}"),
  },
  "aws credentials": {
    format: "aws",
    secret: s.awsCredentials(awsSecret),
    needles: [awsSecret, `aws_secret_access_key = ${awsSecret}`],
    publicParts: ["region = eu-west-1"],
    leak: `AWS_SECRET_ACCESS_KEY=${awsSecret}`,
    lookAlike: s.awsCredentials() + s.awsConfig(),
  },
  dotenv: {
    format: "dotenv",
    secret: s.dotenv(stripe, dbPass),
    needles: [stripe, dbPass, `STRIPE_SECRET_KEY=${stripe}`, `DATABASE_URL=postgres://app:${dbPass}@db.internal:5432/app`],
    publicParts: ["NODE_ENV=production", "APP_URL=https://app.example.com", "REDIS_HOST=cache.internal", "LOG_LEVEL=info", "# app settings"],
    leak: `const stripe = require("stripe")("${stripe}");`,
    lookAlike: s.dotenv("sk_test_replace_me", "changeme"),
  },
  "gcp service account": {
    format: "gcp-service-account",
    secret: s.serviceAccount(key),
    needles: [key, keyBody],
    publicParts: ['  "client_email": "deployer@acme-prod-381207.iam.gserviceaccount.com",', "deployer@acme-prod-381207.iam.gserviceaccount.com", "104892374658293746512", "acme-prod-381207", '  "token_uri": "https://oauth2.googleapis.com/token",'],
    leak: key,
    lookAlike: s.serviceAccount(),
  },
  "docker config.json": {
    format: "docker-config",
    secret: s.dockerConfig(dockerPass),
    needles: [dockerPass, `ci-bot:${dockerPass}`],
    publicParts: ['\t"credsStore": "desktop",', "registry.example.com"],
    leak: `echo ${dockerPass} | docker login -u ci-bot --password-stdin registry.example.com`,
    lookAlike: s.dockerConfig(),
  },
  kubeconfig: {
    format: "kubeconfig",
    secret: s.kubeconfig(kubeToken, key),
    needles: [kubeToken, key, keyBody, `    token: ${kubeToken}`],
    publicParts: [`    certificate-authority-data: ${Buffer.from(s.CERT).toString("base64")}`, "    server: https://k8s.acme.example:6443", "current-context: acme-prod"],
    leak: key,
    lookAlike: s.kubeconfig(),
  },
  netrc: {
    format: "netrc",
    secret: s.netrc(netrcPass),
    needles: [netrcPass, `  password ${netrcPass}`],
    publicParts: ["machine api.github.com", "  login octocat-bot"],
    leak: `curl -u octocat-bot:${netrcPass} https://api.github.com/`,
    lookAlike: s.netrc(),
  },
  "git-credentials": {
    format: "git-credentials",
    secret: s.gitCredentials(ghp),
    needles: [ghp, `octocat-bot:${ghp}`],
    publicParts: [],
    leak: `[remote "origin"]\n\turl = https://x-access-token:${ghp}@github.com/acme/app.git\n`,
    lookAlike: s.gitCredentials(),
  },
  pypirc: {
    format: "pypirc",
    secret: s.pypirc(pypi),
    needles: [pypi, `password = ${pypi}`],
    publicParts: ["repository = https://upload.pypi.org/legacy/", "username = __token__", "index-servers ="],
    leak: `TWINE_PASSWORD=${pypi}`,
    lookAlike: s.pypirc(),
  },
  "maven settings.xml": {
    format: "maven-settings",
    secret: s.mavenSettings(mavenPass),
    needles: [mavenPass, `      <password>${mavenPass}</password>`],
    publicParts: [
      '<?xml version="1.0" encoding="UTF-8"?>',
      "  <servers>",
      "</settings>",
      "      <id>corp-releases</id>",
      "      <username>ci-deployer</username>",
      "ci-deployer",
      "      <privateKey>${user.home}/.ssh/id_rsa</privateKey>",
      "${user.home}/.ssh/id_rsa",
      "  <!-- Deploy credentials for the corp repository -->",
      '<settings xmlns="http://maven.apache.org/SETTINGS/1.0.0"',
      "      <url>https://nexus.acme.example/repository/maven-public/</url>",
    ],
    leak: `mvn deploy -Dcorp.password=${mavenPass}`,
    lookAlike: s.mavenSettings("${env.MAVEN_PASSWORD}") + s.pomXml,
  },
  "NuGet.Config": {
    format: "nuget-config",
    secret: s.nugetConfig(nugetPass),
    needles: [nugetPass, `      <add key="ClearTextPassword" value="${nugetPass}" />`],
    publicParts: [
      '<?xml version="1.0" encoding="utf-8"?>',
      "  <packageSources>",
      '    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />',
      '      <add key="Username" value="ci-feed-reader" />',
      "ci-feed-reader",
      "https://api.nuget.org/v3/index.json",
    ],
    leak: `dotnet nuget add source https://pkgs.dev.azure.com/acme/_packaging/corp/nuget/v3/index.json -u ci -p ${nugetPass}`,
    lookAlike: s.nugetConfig("%NUGET_PASSWORD%", "${NUGET_API_KEY}") + s.pomXml,
  },
  "pem bundle with comments": {
    format: "pem",
    secret: s.pemBundleWithComments(key),
    needles: [keyBody, key.split("\n")[1] ?? ""],
    publicParts: [...s.CERT.split("\n").filter((l) => l.length >= 8), "# chain: Acme Internal CA (G2)", "# api.acme-corp.io, issued 2026-01-01"],
    leak: key.replace(/\n(?!-----)/g, "").replace(/-----\n?$/, "-----\n"),
    lookAlike: `${s.pemBundleWithComments()}\n# api.acme-corp.io, issued 2026-01-01\n# chain: Acme Internal CA (G2)\n`,
  },
  "yarnrc (Yarn 1)": {
    format: "yarnrc",
    secret: s.yarnrc(token),
    needles: [token, `"//registry.npmjs.org/:_authToken" "${token}"`],
    publicParts: ['registry "https://registry.yarnpkg.com"', '"@acme:registry" "https://npm.acme-corp.io/"', "email ci@acme-corp.io", "lastUpdateCheck 1767225600000", 'yarn-offline-mirror "./npm-packages-offline-cache"', "# yarn lockfile v1"],
    leak: `NPM_TOKEN=${token}`,
    lookAlike: s.yarnrc(),
  },
  "env script": {
    format: "dotenv",
    secret: s.envScript(dbPass),
    needles: [dbPass, `export DB_PASSWORD='${dbPass}'`],
    publicParts: ['export PATH="/opt/app/bin:$PATH"', "export APP_HOME=/opt/app"],
    leak: `psql "postgres://app:${dbPass}@db/app"`,
    lookAlike: s.envScript(),
  },
  "pem bundle": {
    format: "pem",
    secret: s.pemBundle(key),
    needles: [keyBody, key.split("\n")[1] ?? ""],
    publicParts: s.CERT.split("\n").filter((l) => l.length >= 8),
    leak: key.replace(/\n(?!-----)/g, "").replace(/-----\n?$/, "-----\n"),
    lookAlike: s.pemBundle(),
  },
};

describe.each(Object.entries(cases))("%s", (_name, c) => {
  test("recognised by content", () => {
    expect(analyzeStructured(Buffer.from(c.secret.replace(/\n$/, "")))?.format).toBe(c.format);
  });

  test("the credentials (and their lines) are needles", () => {
    for (const part of c.needles) expect(isNeedle(c.secret, part), part.slice(0, 12)).toBe(true);
  });

  test("public lines and values are not", () => {
    for (const part of c.publicParts) expect(isNeedle(c.secret, part), part.slice(0, 24)).toBe(false);
  });

  test("the credential alone, elsewhere, is still found", () => {
    expect(hits(c.secret, c.leak)).not.toEqual([]);
  });

  test("a clean look-alike (same public parts, another credential) is not flagged", () => {
    expect(hits(c.secret, c.lookAlike)).toEqual([]);
  });
});

test("an AWS config (no credential) shares its region with a clean config: no needle but the whole file", () => {
  const config = s.awsConfig();
  expect(hits(config, "[default]\nregion = eu-west-1\noutput = text\n")).toEqual([]);
  expect(describeSearch(Buffer.from(config))).toContain("aws; searched: whole value, 0 credentials; not searched alone:");
});

describe("keys are read as words", () => {
  test.each<[string, string, boolean]>([
    ["clientSecret", "x".repeat(4) + "-plain-words-here", true],
    ["PASSENGER_COUNT", "forty-two-people", false],
    ["MONKEY_NAME", "george-the-curious", false],
    ["TURKEY", "roasted-with-herbs", false],
    ["identitytoken", "plain-words-here-too", true],
    ["DB_PASSWORD", "correct-horse-battery", true],
    ["PUBLIC_KEY", "ssh-ed25519-AAAAC3NzaC1lZDI1NTE5", false],
    ["AUTH_URL", "https://auth.example.com/", false],
  ])("%s", (name, value, searched) => {
    const secret = `APP_NAME=demo-application\n${name}=${value}\n`;
    expect(isNeedle(secret, value)).toBe(searched);
    expect(isNeedle(secret, `${name}=${value}`)).toBe(searched);
  });
});

describe("what slips past, what trips", () => {
  test("a password in a URL under a public-looking key is still a credential", () => {
    const secret = `SERVICE_URL=https://svc:${dbPass}@svc.internal/\nREGION=eu-west-1\n`;
    expect(isNeedle(secret, dbPass)).toBe(true);
  });

  test("a URL under a public key with a token in its query is a credential; a plain URL is not", () => {
    const hook = `https://hooks.example.com/services/T0/B0?token=${stripe}`;
    const secret = `SLACK_WEBHOOK_URL=${hook}\nDOCS_URL=https://docs.example.com/?page=install\n`;
    expect(isNeedle(secret, hook)).toBe(true);
    expect(isNeedle(secret, "DOCS_URL=https://docs.example.com/?page=install")).toBe(false);
  });

  test("a plain short word as a password is searched next to its key only", () => {
    const secret = "DB_HOST=db.internal\nDB_PASSWORD=postgres\n";
    expect(isNeedle(secret, "postgres")).toBe(false);
    expect(isNeedle(secret, "DB_PASSWORD=postgres")).toBe(true);
  });

  test("npm _auth: the decoded user:password pair and the password", () => {
    const secret = `registry=https://npm.acme.example/\n_auth=${Buffer.from(`me:${token}`).toString("base64")}\n`;
    expect(isNeedle(secret, token)).toBe(true);
    expect(isNeedle(secret, `me:${token}`)).toBe(true);
  });

  test("a random-looking value under an unknown key is a credential", () => {
    expect(isNeedle(`FOO=bar-baz-qux\nWEBHOOK=${stripe}\n`, stripe)).toBe(true);
  });

  test("a file that breaks the format keeps the line search (nothing is lost to a parse)", () => {
    const secret = `NODE_ENV=production\nthis line is no setting\nAPI_KEY=${stripe}\n`;
    expect(analyzeStructured(Buffer.from(secret))).toBeUndefined();
    expect(isNeedle(secret, "NODE_ENV=production")).toBe(true);
  });

  test("the whole value and its encodings are always searched", () => {
    const secret = s.npmrc(token);
    expect(isNeedle(secret, secret)).toBe(true);
    expect(isNeedle(secret, Buffer.from(secret).toString("base64"))).toBe(true);
    expect(isNeedle(secret, Buffer.from(token).toString("base64"))).toBe(true);
  });

  test("a placeholder template as the secret gives no credential needle", () => {
    expect(describeSearch(Buffer.from(s.npmrc("${NPM_TOKEN}")))).toContain("npmrc; searched: whole value, 0 credentials");
  });

  test("a base64 token ending in '==' is no key=value file", () => {
    expect(analyzeStructured(Buffer.from(randomBytes(16).toString("base64")))).toBeUndefined();
  });
});

describe("describeSearch (safebuild check)", () => {
  test.each<[string, string, string]>([
    ["npmrc", s.npmrc(token), "npmrc; searched: whole value, 1 credential (_authToken line 2); not searched alone: registry lines 1, 4 (registry URL); always-auth line 3 (flag or number)"],
    ["single value", token, "single value; searched: whole value"],
    ["unrecognised", "first line of text\nsecond line of text\n", "no recognised format; searched: whole value, 2 lines of 8 bytes or more"],
  ])("%s", (_name, value, expected) => {
    expect(describeSearch(Buffer.from(value))).toBe(expected);
  });

  test.each(Object.entries(cases))("%s: names keys and lines, never a value", (_name, c) => {
    const text = describeSearch(Buffer.from(c.secret));
    expect(text).not.toContain(c.needles[0]?.slice(0, 8));
    for (const part of c.needles) expect(text).not.toContain(part);
  });
});

describe("XML secrets", () => {
  const pass = `Xm1${randomBytes(15).toString("base64url")}`;
  const doc = (body: string): string => `<?xml version="1.0" encoding="UTF-8"?>\n<settings>\n${body}\n</settings>\n`;

  test.each<[string, string, readonly string[], readonly string[]]>([
    ["element text with entities: as written and decoded", doc(`  <password>a&amp;b&lt;${pass}</password>`), [`a&amp;b&lt;${pass}`, `a&b<${pass}`], []],
    ["CDATA", doc(`  <token><![CDATA[${pass}]]></token>`), [pass], []],
    ["a credential-named attribute", doc(`  <server id="corp" password="${pass}"/>`), [pass], ["corp"]],
    ["a namespaced element", doc(`  <s:passphrase>${pass}</s:passphrase>`), [pass], []],
    ["an API key under apikeys, named by its section", `<configuration>\n<apikeys>\n<add key="https://feed.example/v3" value="${pass}" />\n</apikeys>\n</configuration>\n`, [pass], []],
    ["a plain word: with its line only", doc("  <password>postgres</password>"), ["  <password>postgres</password>"], ["postgres"]],
    ["Maven placeholders and key paths: nothing alone", doc("  <password>${env.MVN_PASSWORD}</password>\n  <privateKey>${user.home}/.ssh/id_ed25519</privateKey>\n  <privateKey>/root/.ssh/id_rsa</privateKey>"), [], ["${env.MVN_PASSWORD}", "${user.home}/.ssh/id_ed25519", "  <privateKey>${user.home}/.ssh/id_ed25519</privateKey>", "/root/.ssh/id_rsa"]],
    ["a token that starts with a slash is no path", doc(`  <privateKey>/${pass}/x</privateKey>`), [`/${pass}/x`], []],
  ])("%s", (_name, secret, needles, notNeedles) => {
    expect(analyzeStructured(Buffer.from(secret.trimEnd()))?.format).toBe(secret.includes("<apikeys>") ? "nuget-config" : "xml");
    for (const part of needles) expect(isNeedle(secret, part), part.slice(0, 16)).toBe(true);
    for (const part of notNeedles) expect(isNeedle(secret, part), part.slice(0, 16)).toBe(false);
    expect(isNeedle(secret, '<?xml version="1.0" encoding="UTF-8"?>')).toBe(false);
  });

  test("not well formed (tags that do not pair, text outside the root, an internal DTD subset, two roots): not recognised; the line search keeps the secret's lines, not the declaration", () => {
    for (const body of [
      `<settings>\n<password>${pass}</passwd>\n</settings>\n`,
      `<settings>\n<password>${pass}</password>\n</settings>\ntrailing text\n`,
      `<!DOCTYPE s [<!ENTITY e "x">]>\n<settings>\n<password>${pass}</password>\n</settings>\n`,
      `<a>${pass}</a>\n<b>${pass}</b>\n`,
    ]) {
      const secret = `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
      expect(analyzeStructured(Buffer.from(secret.trimEnd()))).toBeUndefined();
      const line = secret.split("\n").find((l) => l.includes(pass)) ?? "";
      expect(isNeedle(secret, line)).toBe(true);
      expect(isNeedle(secret, '<?xml version="1.0" encoding="UTF-8"?>')).toBe(false);
    }
  });

  test("check names the keys and lines, never a value", () => {
    expect(describeSearch(Buffer.from(s.mavenSettings(pass)))).toBe(
      "maven-settings; searched: whole value, 1 credential (password line 10); not searched alone: id lines 8, 16 (identifier); username line 9 (user name, an identifier); privateKey line 11 (file path); url line 17 (URL); mirrorOf line 18 (setting); declaration, comments and namespaces lines 1-5 (structure)",
    );
    expect(describeSearch(Buffer.from(s.nugetConfig(pass)))).toMatch(/^nuget-config; searched: whole value, 2 credentials \(ClearTextPassword line 11; apikey line 15\); not searched alone: .*Username line 10 \(user name, an identifier\)/);
  });
});

describe("an unrecognised multi-line secret: lines of markup alone are not searched", () => {
  const pass = `Ul9${randomBytes(15).toString("base64url")}`;
  const secretOf = (line: string): string => `${line}\nsome-other-line: ${pass}\n<unclosed>\n`;

  test.each([
    '<?xml version="1.0" encoding="UTF-8"?>',
    "<?xml version='1.0'?>",
    "<!DOCTYPE html>",
    "  </settings>",
    "<servers><server>",
    "<activeProfiles/>",
    "<!-- Deploy credentials for the corp repository -->",
    "# API credentials (production)",
    "// generated by tool 3.9.6",
  ])("%s: not searched; the secret-bearing line is", (line) => {
    const secret = secretOf(line);
    expect(analyzeStructured(Buffer.from(secret.trimEnd()))).toBeUndefined();
    expect(isNeedle(secret, line)).toBe(false);
    expect(isNeedle(secret, `some-other-line: ${pass}`)).toBe(true);
  });

  test("a comment or tag with room for a secret is still searched (next to markup that is not)", () => {
    for (const line of [
      `<!-- old password: ${pass} -->`,
      `# ${pass}`,
      `<password>${pass}</password>`,
      `<add key="ApiKey" value="${pass}"/>`,
      '<?xml-stylesheet href="style.xsl"?>',
      "# see https://docs.example.com/setup",
      "# correct-horse-battery-staple",
      "<!-- Supercalifragilistic -->",
    ]) {
      const secret = `<?xml version="1.0"?>\n${secretOf(line)}`;
      expect(isNeedle(secret, line), line).toBe(true);
      expect(isNeedle(secret, '<?xml version="1.0"?>')).toBe(false);
    }
  });
});

describe("a stock password inside a URL is searched with its line only", () => {
  const prisma = "DATABASE_URL=postgresql://postgres:postgres@localhost:5432/postgres?schema=public";
  test.each<[string, string, readonly string[]]>([
    ["the user again (Prisma's default)", `${prisma}\nSTRIPE_KEY=${stripe}\n`, ["postgres", "postgres:postgres"]],
    ["a word and a number, no user", `REDIS_URL=redis://:password123@cache.internal:6379/0\nSTRIPE_KEY=${stripe}\n`, ["password123", ":password123"]],
    ["a plain word", `AMQP_URL=amqp://user:bitnami@rabbitmq:5672/\nSTRIPE_KEY=${stripe}\n`, ["bitnami", "user:bitnami"]],
    ["in YAML", `database:\n  url: postgres://app:app@db.internal/app\n  token: ${stripe}\n`, ["app:app"]],
    ["in JSON", `{"db": "mysql://root:Secret1@db:3306/app", "token": "${stripe}"}`, ["Secret1", "root:Secret1"]],
    ["a one-line secret", "postgres://postgres:postgres@localhost:5432/db", ["postgres:postgres"]],
    ["an unrecognised file", `first line of notes\nDATABASE_URL=postgres://admin:admin@db/x\nno setting here\n`, ["admin:admin"]],
  ])("%s", (_name, secret, notNeedles) => {
    for (const part of notNeedles) expect(isNeedle(secret, part), part).toBe(false);
    const line = secret.split("\n").find((l) => l.includes("://")) ?? "";
    expect(hits(secret, `${line}\n`)).not.toEqual([]);
    expect(hits(secret, "see postgresql://postgres:postgres@localhost:5432/postgres and redis://:password123@localhost, amqp://user:bitnami@x, root:Secret1, app:app admin:admin")).toEqual([]);
  });

  test("a generated password in a URL is still searched alone and as user:pass, next to a stock one that is not", () => {
    const secret = `DATABASE_URL=postgres://postgres:${dbPass}@db.internal:5432/app\nCACHE_URL=redis://:password123@cache.internal:6379\n`;
    expect(isNeedle(secret, dbPass)).toBe(true);
    expect(isNeedle(secret, `postgres:${dbPass}`)).toBe(true);
    expect(isNeedle(secret, "password123")).toBe(false);
    // check still counts the stock one: its line is searched
    expect(describeSearch(Buffer.from(secret))).toBe("dotenv; searched: whole value, 2 credentials (DATABASE_URL line 1; CACHE_URL line 2)");
  });

});
