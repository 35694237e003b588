import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { buildClouds } from "../../src/docker/credential-helpers.js";

const root = mkdtempSync(join(tmpdir(), "sbtest-cred-helpers-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

test.each([
  ["no config", undefined, []],
  ["not JSON", "{", []],
  ["the desktop store", { credsStore: "desktop" }, []],
  ["ecr-login as the store", { credsStore: "ecr-login" }, ["aws"]],
  ["per registry", { credHelpers: { "gcr.io": "gcloud", "x.azurecr.io": "acr-env", "y.dkr.ecr.us-east-1.amazonaws.com": "ecr-login" } }, ["aws", "azure", "gcp"]],
  ["names that are not helpers", { credsStore: "constructor", credHelpers: { a: "__proto__", b: 7 } }, []],
  ["credHelpers not an object", { credHelpers: ["ecr-login"] }, []],
])("%s", (name, config, clouds) => {
  const dir = join(root, name.replace(/\W/g, "-"));
  mkdirSync(dir, { recursive: true });
  if (config !== undefined) writeFileSync(join(dir, "config.json"), typeof config === "string" ? config : JSON.stringify(config));
  expect([...buildClouds({ DOCKER_CONFIG: dir })].sort()).toEqual(clouds);
});
