import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { isLoopback } from "../../src/secrets/vault-settings.js";
import { runCli } from "../helpers/cli.js";
import { fixtures } from "../scan/helpers.js";
import { startVaultStandIn, type StandIn, type StandInOptions } from "./vault-stand-in.js";

// VAULT_ADDR over plain http to another machine, and VAULT_SKIP_VERIFY, are allowed (the vault
// CLI allows them) but said, once a run, when a vault: secret is resolved.
const TOKEN = `hvs.${randomBytes(18).toString("base64url")}`;
const VALUE = `sbtest-vaultwarn-${randomBytes(18).toString("base64url")}`;
const base: StandInOptions = { token: TOKEN, mounts: { "secret/": 2 }, v2: { "secret/app": [{ key: VALUE, other: VALUE.toUpperCase() }] } };
const HTTP_WARNING = /^safebuild: warning: VAULT_ADDR is http:\/\/[^ ]+: the Vault token and the secret values cross the network unencrypted \(use https:\/\/\)$/;
const SKIP_WARNING = /^safebuild: warning: VAULT_SKIP_VERIFY is set: Vault's TLS certificate is not checked/;

const dir = mkdtempSync(join(tmpdir(), "sbtest-vaultwarn-"));
let tls: { key: string; cert: string };
beforeAll(() => {
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
  ], { stdio: "ignore" });
  tls = { key: readFileSync(join(dir, "key.pem"), "utf8"), cert: readFileSync(join(dir, "cert.pem"), "utf8") };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let vault: StandIn | undefined;
afterEach(async () => {
  await vault?.close();
  vault = undefined;
});

/** An address of this machine that is not loopback, so http:// to it is "the network". */
function outsideAddress(): string {
  const found = Object.values(networkInterfaces()).flatMap((list) => list ?? []).find((i) => i.family === "IPv4" && !i.internal);
  if (found === undefined) throw new Error("no non-loopback IPv4 interface to serve the Vault stand-in on");
  return found.address;
}

/** Scans a clean image with two secrets from Vault: the warnings must come once, not per secret. */
async function scanWith(env: NodeJS.ProcessEnv) {
  const run = await runCli(
    ["scan", "--secret", "a=vault:secret/app#key", "--secret", "b=vault:secret/app#other", `oci:${join(fixtures, "clean.oci")}`],
    { env: { VAULT_TOKEN: TOKEN, VAULT_MAX_RETRIES: "0", VAULT_CACERT: undefined, VAULT_CAPATH: undefined, VAULT_SKIP_VERIFY: undefined, ...env }, secrets: [TOKEN, VALUE, VALUE.toUpperCase()] },
  );
  const lines = run.stderr.toString().split("\n");
  return { run, http: lines.filter((l) => HTTP_WARNING.test(l)), skip: lines.filter((l) => SKIP_WARNING.test(l)) };
}

describe("vault warnings, through the CLI", () => {
  test("http:// to another host: one warning naming the host, and the secrets still resolve", async () => {
    vault = await startVaultStandIn({ ...base, host: outsideAddress() });
    const { run, http, skip } = await scanWith({ VAULT_ADDR: vault.addr });
    expect(run.code, run.output).toBe(0);
    expect(http).toEqual([`safebuild: warning: VAULT_ADDR is http://${new URL(vault.addr).host}: the Vault token and the secret values cross the network unencrypted (use https://)`]);
    expect(skip).toEqual([]);
    expect(vault.seen.length).toBeGreaterThan(0);
  });

  test("http:// to this machine (127.0.0.1): no warning", async () => {
    vault = await startVaultStandIn(base);
    const { run, http, skip } = await scanWith({ VAULT_ADDR: vault.addr });
    expect(run.code, run.output).toBe(0);
    expect([http, skip]).toEqual([[], []]);
  });

  test("https with VAULT_SKIP_VERIFY=true: one warning; =false: none", async () => {
    vault = await startVaultStandIn({ ...base, tls });
    const skipping = await scanWith({ VAULT_ADDR: vault.addr, VAULT_SKIP_VERIFY: "true" });
    expect(skipping.run.code, skipping.run.output).toBe(0);
    expect([skipping.skip.length, skipping.http.length]).toEqual([1, 0]);
    const verifying = await scanWith({ VAULT_ADDR: vault.addr, VAULT_SKIP_VERIFY: "false", VAULT_CACERT: join(dir, "cert.pem") });
    expect(verifying.run.code, verifying.run.output).toBe(0);
    expect([verifying.skip.length, verifying.http.length]).toEqual([0, 0]);
  });

  test("no vault: secret, no warning, whatever VAULT_* says", async () => {
    const run = await runCli(["scan", "--secret", "e=env:SBTEST_VAULTWARN_E", `oci:${join(fixtures, "clean.oci")}`], {
      env: { SBTEST_VAULTWARN_E: VALUE, VAULT_ADDR: "http://vault.example.com:8200", VAULT_SKIP_VERIFY: "1" },
      secrets: [VALUE],
    });
    expect(run.code, run.output).toBe(0);
    expect(run.stderr.toString()).not.toMatch(/VAULT_/);
  });
});

describe("isLoopback (after the URL parser's normalization)", () => {
  test.each([
    ["http://localhost:8200", true],
    ["http://127.0.0.1:8200", true],
    ["http://127.1:8200", true],
    ["http://127.255.0.9", true],
    ["http://[::1]:8200", true],
    ["http://[::ffff:127.0.0.1]", true],
    ["http://LOCALHOST", true],
    ["http://10.0.0.1", false],
    ["http://vault.example.com", false],
    ["http://localhost.example.com", false],
    ["http://127.0.0.1.nip.io", false],
    ["http://vault.localhost", false],
    ["http://[::2]", false],
    ["http://0.0.0.0", false],
  ])("%s → %s", (addr, loopback) => {
    expect(isLoopback(new URL(addr).hostname)).toBe(loopback);
  });
});
