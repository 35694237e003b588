import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { dockerArchive, tarOf } from "../helpers/archives.js";
import { runCli } from "../helpers/cli.js";
import { alnum } from "./tokens.js";

/**
 * Application config files through the CLI: what names a secret's setting, its file, a stock
 * default or a deploy-time token is quiet; a real value beside it is found.
 */
const work = mkdtempSync(join(tmpdir(), "sbtest-app-config-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let images = 0;
async function scan(files: Readonly<Record<string, string>>, secrets: readonly string[]): Promise<{ code: number | null; found: string[] }> {
  images += 1;
  const image = join(work, `image-${images}.tar`);
  writeFileSync(image, await dockerArchive([await tarOf(Object.entries(files).map(([name, data]) => ({ name, data: Buffer.from(data) })))]));
  const cli = await runCli(["scan", `docker-archive:${image}`, "--format", "json"], { cwd: work, secrets });
  const report = JSON.parse(cli.stdout.toString()) as { findings: { rule: string | null; path: string }[] };
  return { code: cli.code, found: report.findings.map((f) => `${f.rule} ${f.path}`).sort() };
}

describe("application config through the CLI", () => {
  test(".env: _FILE/_PATH names holding paths and a secret's settings quiet; a password found", async () => {
    const password = `s3cr3t${alnum(16)}`;
    const settings = "NODE_ENV=production\nPOSTGRES_PASSWORD_FILE=/run/secrets/db_password\nJWT_SECRET_FILE=/run/secrets/jwt\nGOOGLE_CLIENT_SECRET_PATH=/etc/app/google.json\nPASSWORD_HASH_ALGORITHM=argon2id\n";
    const { code, found } = await scan({ "app/.env": settings, "srv/.env": `${settings}DB_PASSWORD=${password}\n` }, [password]);
    expect(found).toEqual(["dotenv-secret srv/.env"]);
    expect(code).toBe(1);
  });

  test("compose files: a password in a service's environment (map or list) found; variables, secrets files and Docker's documented example quiet", async () => {
    const password = `Pg${alnum(18)}`;
    const token = `Tk${alnum(22)}`;
    const safe = "services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?}\n      - POSTGRES_PASSWORD_FILE=/run/secrets/db_password\n      MYSQL_ROOT_PASSWORD: example\nsecrets:\n  db_password:\n    file: ./db_password.txt\n";
    const { code, found } = await scan(
      {
        "srv/stack/docker-compose.yml": `${safe}  app:\n    environment:\n      POSTGRES_PASSWORD: "${password}"\n`,
        "srv/stack/compose.prod.yaml": `services:\n  app:\n    environment:\n      - API_TOKEN=${token}\n`,
        "app/compose.yaml": safe,
        "app/compose.example.yaml": `services:\n  app:\n    environment:\n      API_TOKEN: ${alnum(20)}\n`,
      },
      [password, token],
    );
    expect(found).toEqual(["compose-secret srv/stack/compose.prod.yaml", "compose-secret srv/stack/docker-compose.yml"]);
    expect(code).toBe(1);
  });

  test("env files named for what they configure (prod.env, systemd's EnvironmentFile): a password found; the same in example.env quiet", async () => {
    const password = `Pr0d${alnum(16)}`;
    const other = `Sv5${alnum(18)}`;
    const { code, found } = await scan(
      { "app/prod.env": `NODE_ENV=production\nDB_PASSWORD=${password}\n`, "etc/billing/billing.env": `API_TOKEN=${other}\n`, "app/example.env": `DB_PASSWORD=${alnum(16)}\n` },
      [password, other],
    );
    expect(found).toEqual(["dotenv-secret app/prod.env", "dotenv-secret etc/billing/billing.env"]);
    expect(code).toBe(1);
  });

  test("an AWS secret key under its own name with no key id near, and a Yarn 1 .yarnrc token: found; Django's SECRET_KEY of the same shape: quiet", async () => {
    const aws = `${alnum(20)}/${alnum(19)}`;
    const yarn = alnum(36);
    const { code, found } = await scan(
      {
        "app/Dockerfile.ci": `FROM python:3.12\nENV AWS_DEFAULT_REGION=eu-west-1 AWS_SECRET_ACCESS_KEY=${aws}\n`,
        "home/node/.yarnrc": `registry "https://registry.yarnpkg.com"\n"//npm.acme-corp.io/:_authToken" "${yarn}"\n`,
        "app/site/config.py": `SECRET_KEY = "${alnum(40)}"\n`,
      },
      [aws, yarn],
    );
    expect(found).toEqual(["aws-access-key app/Dockerfile.ci", "npmrc-auth home/node/.yarnrc"]);
    expect(code).toBe(1);
  });

  test("gradle.properties and application.yml: sonar.projectKey and the JDK's changeit quiet; a signing password and a changed keystore password found", async () => {
    const signing = alnum(20);
    const keystore = alnum(16);
    const gradle = "org.gradle.caching=true\nsonar.projectKey=acme_payments-service\nsystemProp.javax.net.ssl.trustStorePassword=changeit\n";
    const spring = "server:\n  ssl:\n    key-store-password: changeit\n    trust-store-password: changeit\n";
    const { found } = await scan(
      {
        "app/gradle.properties": gradle,
        "app/config/application.yml": spring,
        "srv/gradle.properties": `${gradle}signing.password=${signing}\n`,
        "srv/config/application.yml": spring.replace("key-store-password: changeit", `key-store-password: ${keystore}`),
      },
      [signing, keystore],
    );
    expect(found).toEqual(["gradle-properties-secret srv/gradle.properties", "spring-config-password srv/config/application.yml"]);
  });

  test("appsettings.json: #{…}# and __NAME__ deploy tokens quiet; a password found", async () => {
    const password = alnum(18);
    const tokens = { Default: "Server=db;Database=app;User Id=sa;Password=#{DbPassword}#;", Legacy: "Server=db;Database=l;User Id=l;Password=__LEGACY_DB_PASSWORD__;" };
    const { found } = await scan(
      {
        "app/appsettings.json": JSON.stringify({ ConnectionStrings: tokens }, null, 2),
        "srv/appsettings.Production.json": JSON.stringify({ ConnectionStrings: { ...tokens, Real: `Server=db;User Id=app;Password=${password};` } }, null, 2),
      },
      [password],
    );
    expect(found).toEqual(["connection-string-password srv/appsettings.Production.json"]);
  });
});
