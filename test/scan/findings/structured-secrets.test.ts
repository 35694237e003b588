import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, expect, test } from "vitest";
import { scanImage } from "../../../src/scan/scan-image.js";
import { dockerArchive, tarOf } from "../../helpers/archives.js";
import * as s from "../../match/structured/samples.js";
import { secret } from "../helpers.js";

/** Hand-made layers: a structured secret's credential leaked alone is found; its look-alikes are not. */
const dir = mkdtempSync(path.join(tmpdir(), "sbtest-structured-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const token = `npm_${randomBytes(20).toString("base64url")}`;
const awsSecret = randomBytes(30).toString("base64url");
const stripe = `sk_live_${randomBytes(24).toString("base64url")}`;
const key = s.pemKey();
const secrets = [
  secret("npmrc", s.npmrc(token)),
  secret("aws", s.awsCredentials(awsSecret)),
  secret("awsconfig", s.awsConfig()),
  secret("env", s.dotenv(stripe)),
  secret("gcp", s.serviceAccount(key)),
];

async function scan(files: Record<string, string>) {
  const layer = await tarOf(Object.entries(files).map(([name, data]) => ({ name, data: Buffer.from(data) })));
  const file = path.join(dir, `${randomBytes(4).toString("hex")}.tar`);
  writeFileSync(file, await dockerArchive([layer]));
  return scanImage({ ref: file, secrets, env: {}, cwd: dir });
}

test("templates and look-alikes sharing the public lines: no finding", async () => {
  const result = await scan({
    "app/.npmrc": s.npmrc("${NPM_TOKEN}"),
    "root/.aws/config": s.awsConfig().replace("output = json", "output = text"),
    "app/.env.example": s.dotenv("sk_test_replace_me", "changeme"),
    "app/sa-staging.json": s.serviceAccount(),
  });
  expect(result.findings).toEqual([]);
});

test("only the credential copied out: found, with its place and encoding", async () => {
  const result = await scan({
    "app/token": `${token}\n`,
    "app/deploy.sh": `export AWS_SECRET_ACCESS_KEY=${awsSecret}\n`,
    "app/pay.js": `stripe("${stripe}")`,
    "app/key.pem": key,
  });
  const found = result.findings.map((f) => [f.secret, f.path, f.encoding]).sort();
  expect(found).toEqual([
    ["aws", "app/deploy.sh", "field"],
    ["env", "app/pay.js", "field"],
    ["gcp", "app/key.pem", "field"],
    // the key's body is also the PEM body, wrapped as the key file wraps it
    ["gcp", "app/key.pem", "pem-wrapped"],
    ["npmrc", "app/token", "field"],
  ]);
});
