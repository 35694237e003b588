import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DOCKER, engineAnswers } from "../build/cli.js";
import { runCli } from "../helpers/cli.js";
import { registryAvailable, startRegistry, type RegistryServer } from "../helpers/registry.js";
import { makeTestCa, type TestCa } from "../helpers/test-ca.js";
import { recordingProxy, type RecordingProxy } from "./recording-proxy.js";
import { startTokenServer, type TokenServer } from "./stand-in-token-server.js";

// The real registry twice: htpasswd Basic auth over TLS with a private CA (logged in to with
// `docker login`, pushed to with `docker push`), and token auth trusting a stand-in token
// service (pushed to with `skopeo copy`, its credential from a docker-credential-* helper).
// Each server's received credentials are recorded: none ever gets the other's.
const up = engineAnswers() && registryAvailable();
const run = Math.random().toString(36).slice(2, 8);
const work = mkdtempSync(join(tmpdir(), "sbtest-regauth-"));
const value = `sbregauth-${randomBytes(18).toString("base64url")}`;
const basic = { user: "basicuser", password: `basicpw-${randomBytes(12).toString("hex")}` };
const tokenAccount = { user: "tokenuser", password: `tokenpw-${randomBytes(12).toString("hex")}`, refreshToken: `refresh-${randomBytes(12).toString("hex")}` };
const secrets = [value, basic.password, tokenAccount.password, tokenAccount.refreshToken];
const dockerConfig = join(work, "docker");
const certsD = join(work, "certs.d");
const bin = join(work, "bin");
const b64 = (text: string): string => Buffer.from(text).toString("base64");

async function scan(ref: string, extraEnv: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const result = await runCli(["scan", "--secret", "tok=env:SB_VALUE", "--format", "json", ref], {
    env: { SB_VALUE: value, DOCKER_CONFIG: dockerConfig, SAFEBUILD_CERTS_D: certsD, REGISTRY_AUTH_FILE: join(work, "none.json"), PATH: `${bin}:${process.env["PATH"]}`, ...extraEnv },
    secrets,
    timeoutMs: 120_000,
  });
  const output = `${result.stdout.toString()}${result.stderr.toString()}`;
  for (const s of secrets.slice(1)) expect(output).not.toContain(s);
  return { code: result.code, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

describe.skipIf(!up)("scan registry: with credentials, as docker finds them", () => {
  let ca: TestCa;
  let basicRegistry: RegistryServer;
  let tokenRegistry: RegistryServer;
  let tokens: TokenServer;
  let proxy: RecordingProxy;
  let dockerCertsDir: string;
  const image = `sbtest-regauth-${run}:1`;

  beforeAll(async () => {
    mkdirSync(dockerConfig);
    mkdirSync(bin);
    ca = makeTestCa(work);
    const htpasswd = spawnSync("htpasswd", ["-Bbn", basic.user, basic.password], { encoding: "utf8" });
    expect(htpasswd.status, htpasswd.stderr).toBe(0);
    writeFileSync(join(work, "htpasswd"), htpasswd.stdout);
    basicRegistry = await startRegistry({
      http: `http:\n  addr: 127.0.0.1:{PORT}\n  tls:\n    certificate: ${ca.serverCert}\n    key: ${ca.serverKey}\n`,
      auth: `auth:\n  htpasswd:\n    realm: sbtest-basic\n    path: ${join(work, "htpasswd")}\n`,
    });
    tokens = await startTokenServer(work, tokenAccount);
    tokenRegistry = await startRegistry({
      auth: `auth:\n  token:\n    realm: ${tokens.realm}\n    service: ${tokens.service}\n    issuer: ${tokens.issuer}\n    rootcertbundle: ${tokens.certFile}\n`,
    });
    proxy = await recordingProxy(tokenRegistry.host);

    // docker 20.10 trusts a registry's CA only from /etc/docker/certs.d (login and push go through the daemon)
    dockerCertsDir = join("/etc/docker/certs.d", basicRegistry.host);
    mkdirSync(dockerCertsDir, { recursive: true });
    copyFileSync(ca.caCert, join(dockerCertsDir, "ca.crt"));
    mkdirSync(join(certsD, basicRegistry.host), { recursive: true });
    copyFileSync(ca.caCert, join(certsD, basicRegistry.host, "ca.crt"));

    const login = spawnSync(DOCKER, ["--config", dockerConfig, "login", "-u", basic.user, "--password-stdin", basicRegistry.host], { input: basic.password, encoding: "utf8" });
    expect(login.status, login.stderr).toBe(0);
    writeFileSync(join(work, "leak.txt"), `${value}\n`);
    writeFileSync(join(work, "Dockerfile"), "FROM local/busybox:1\nCOPY leak.txt /srv/leak.txt\n");
    const built = spawnSync(DOCKER, ["build", "-q", "-t", image, work], { encoding: "utf8" });
    expect(built.status, built.stderr).toBe(0);
    const remote = `${basicRegistry.host}/auth/app:1`;
    expect(spawnSync(DOCKER, ["tag", image, remote]).status).toBe(0);
    const pushed = spawnSync(DOCKER, ["--config", dockerConfig, "push", remote], { encoding: "utf8" });
    spawnSync(DOCKER, ["rmi", remote], { stdio: "ignore" });
    expect(pushed.status, pushed.stderr).toBe(0);
    // asynchronously: the token service runs in this process and must answer skopeo
    await promisify(execFile)("skopeo", [
      "copy",
      "--quiet",
      "--dest-tls-verify=false",
      "--dest-creds",
      `${tokenAccount.user}:${tokenAccount.password}`,
      `docker-daemon:${image}`,
      `docker://${tokenRegistry.host}/auth/app:1`,
    ]);

    // the token registry's credential comes from a helper; docker login wrote the Basic one into auths
    const config = JSON.parse(readFileSync(join(dockerConfig, "config.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(join(dockerConfig, "config.json"), JSON.stringify({ ...config, credHelpers: { [proxy.host]: "sbtest" } }));
    writeFileSync(
      join(bin, "docker-credential-sbtest"),
      [
        "#!/bin/sh",
        `read server; echo "$server" >> ${join(work, "helper-asked")}`,
        `if [ "$SBTEST_HELPER_MODE" = identity ]; then echo '{"ServerURL":"'$server'","Username":"<token>","Secret":"${tokenAccount.refreshToken}"}'; exit 0; fi`,
        `echo '{"ServerURL":"'$server'","Username":"${tokenAccount.user}","Secret":"${tokenAccount.password}"}'`,
      ].join("\n"),
    );
    chmodSync(join(bin, "docker-credential-sbtest"), 0o755);
  }, 240_000);

  afterAll(async () => {
    spawnSync(DOCKER, ["rmi", "-f", image], { stdio: "ignore" });
    if (dockerCertsDir !== undefined) rmSync(dockerCertsDir, { recursive: true, force: true });
    await proxy?.close();
    await tokens?.close();
    await tokenRegistry?.stop();
    await basicRegistry?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test("Basic over TLS: the CA from SAFEBUILD_CERTS_D, the credential docker login wrote; the leak is found", async () => {
    const result = await scan(`registry:${basicRegistry.host}/auth/app:1`);
    expect(result.code, result.stderr).toBe(1);
    expect(JSON.parse(result.stdout).findings).toEqual([expect.objectContaining({ where: "file", path: "srv/leak.txt" })]);
    // the token service never saw the Basic registry's password
    expect(tokens.received.join("\n")).not.toContain(b64(`${basic.user}:${basic.password}`));
  });

  test("Basic over TLS without its CA: a TLS failure, exit 4, one line", async () => {
    const result = await scan(`registry:${basicRegistry.host}/auth/app:1`, { SAFEBUILD_CERTS_D: join(work, "empty-certs.d") });
    expect(result.code).toBe(4);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim()).toMatch(/^safebuild: registry 127\.0\.0\.1:\d+: TLS failure \([A-Z_]+\)[^\n]*$/);
  });

  test("Basic without a login: 401 naming where safebuild looked", async () => {
    const empty = join(work, "empty-docker");
    mkdirSync(empty, { recursive: true });
    const result = await scan(`registry:${basicRegistry.host}/auth/app:1`, { DOCKER_CONFIG: empty });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(/needs credentials \(401\); found none/);
  });

  test("token auth, password from a credential helper: the token service gets it, the registry only Bearer tokens", async () => {
    const before = tokens.received.length;
    const result = await scan(`registry:${proxy.host}/auth/app:1`);
    expect(result.code, result.stderr).toBe(1);
    expect(JSON.parse(result.stdout).findings).toEqual([expect.objectContaining({ where: "file", path: "srv/leak.txt" })]);
    expect(readFileSync(join(work, "helper-asked"), "utf8")).toContain(proxy.host);
    expect(tokens.received.slice(before)).toEqual([`Basic ${b64(`${tokenAccount.user}:${tokenAccount.password}`)}`]);
    const seen = proxy.authorizations.filter((a) => a !== undefined);
    expect(seen.length).toBeGreaterThan(0);
    for (const header of seen) expect(header).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
  });

  test("token auth with an identity token: POSTed as a refresh token", async () => {
    const before = tokens.received.length;
    const result = await scan(`registry:${proxy.host}/auth/app:1`, { SBTEST_HELPER_MODE: "identity" });
    expect(result.code, result.stderr).toBe(1);
    expect(tokens.received.slice(before)).toEqual([`refresh_token=${tokenAccount.refreshToken}`]);
  });

  test("no registry ever received another's credential", async () => {
    const all = [...proxy.authorizations, ...tokens.received].join("\n");
    expect(all).not.toContain(b64(`${basic.user}:${basic.password}`));
    expect(all).not.toContain(basic.password);
    // the Basic registry is reached directly over TLS: its own log names only its own user
    expect(basicRegistry.log()).not.toContain(tokenAccount.user);
  });
});
