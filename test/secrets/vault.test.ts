import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { isSafebuildError } from "../../src/errors.js";
import type { Masker } from "../../src/redact/masker-api.js";
import { createMasker } from "../../src/redact/masker.js";
import type { ProviderContext } from "../../src/secrets/provider.js";
import { secretTraces } from "../../src/secrets/child-env.js";
import type { SecretRef } from "../../src/secrets/secret.js";
import { vaultProvider } from "../../src/secrets/vault.js";
import { startVaultStandIn, type StandIn, type StandInOptions } from "./vault-stand-in.js";

// a fixed value: a random one can share an encoding's piece with the text around it (the masker then masks or holds more)
const FIXED = ["Qm7vT2xK9pL4wN8rB3zH6cJ1", "Yd5gF0sA2hU8eR4tW6qZ1nM3", "Xc9bV7kP3jO5iL1uG8yE2aS4", "Wz6nH1mD4fB9rT3xC7vK2pQ5", "Lp2oI5uY8tR1eW4qA7sD0fG3", "Hj6kL9zX2cV5bN8mQ1wE4rT7", "Uy3iO6pA9sD2fG5hJ8kL1zX4", "Cv7bN0mQ3wE6rT9yU2iO5pA8", "Gf1dS4aZ7xC0vB3nM6qW9eR2", "Tk8jH5gF2dS9aQ6wE3rT0yU7", "Bn4mQ7wE0rT3yU6iO9pA2sD5", "Rz5xC8vB1nM4qW7eR0tY3uI6"] as const;
let next = 0;
const rand = (): string => FIXED[next++ % FIXED.length]!;
const TOKEN = `hvs.${rand()}`;
const APP_TOKEN = rand();
const API_KEY = rand();
const OLD_KEY = rand();
const V1_PASSWORD = rand();
const ROLE_ID = rand();
const SECRET_ID = rand();
const ECHOED = rand();
const SENSITIVE = [TOKEN, APP_TOKEN, API_KEY, OLD_KEY, V1_PASSWORD, SECRET_ID, ECHOED];

const home = mkdtempSync(join(tmpdir(), "sbtest-vault-home-"));
const emptyHome = mkdtempSync(join(tmpdir(), "sbtest-vault-nohome-"));
afterAll(() => {
  rmSync(home, { recursive: true, force: true });
  rmSync(emptyHome, { recursive: true, force: true });
});

const base: StandInOptions = {
  token: TOKEN,
  mounts: { "secret/": 2, "kv1/": 1, "team/kv/": 2 },
  v2: {
    "secret/app": [{ api_key: OLD_KEY }, { api_key: API_KEY, token: APP_TOKEN, port: 8080, obj: { a: [1, "b"] }, nothing: null }],
    "team/kv/deep/path": [{ key: API_KEY }],
    "secret/gone": [{ key: OLD_KEY }, null],
  },
  v1: { "kv1/db": { password: V1_PASSWORD } },
};

let vault: StandIn | undefined;
afterEach(async () => {
  await vault?.close();
  vault = undefined;
});

async function start(overrides: Partial<StandInOptions> = {}): Promise<StandIn> {
  vault = await startVaultStandIn({ ...base, ...overrides });
  return vault;
}

function ctxOf(env: NodeJS.ProcessEnv, extra: Partial<ProviderContext> = {}): ProviderContext & { sensitive: Buffer[] } {
  const masker = createMasker();
  const sensitive: Buffer[] = [];
  return {
    env: { VAULT_MAX_RETRIES: "2", ...env },
    cwd: home,
    home: emptyHome,
    masker: { ...masker, addSensitive: (b: Buffer) => (sensitive.push(Buffer.from(b)), masker.addSensitive(b)) },
    memo: new Map(),
    traces: secretTraces([]),
    sensitive,
    ...extra,
  };
}

async function closedAddr(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

const ref = (target: string, id = "s"): SecretRef => ({ id, kind: "vault", target, spec: `${id}=vault:${target}` });

async function read(target: string, ctx: ProviderContext, id = "s"): Promise<string> {
  return (await vaultProvider(ref(target, id), ctx)).toString("utf8");
}

async function failure(target: string, ctx: ProviderContext, id = "s"): Promise<string> {
  try {
    await vaultProvider(ref(target, id), ctx);
  } catch (error) {
    expect(isSafebuildError(error) && error.kind === "input").toBe(true);
    const message = (error as Error).message;
    for (const s of SENSITIVE) expect(message).not.toContain(s);
    return message;
  }
  throw new Error("expected a failure");
}

describe("vault: reads", () => {
  test.each([
    ["v2, found through the mounts endpoint", "secret/app#api_key", API_KEY],
    ["v2, a second field", "secret/app#token", APP_TOKEN],
    ["v2, an older version", "secret/app#api_key@1", OLD_KEY],
    ["v2, the latest version by number", "secret/app#api_key@2", API_KEY],
    ["v2, a mount with a slash in its name", "team/kv/deep/path#key", API_KEY],
    ["v1", "kv1/db#password", V1_PASSWORD],
    ["leading slash ignored", "/kv1/db#password", V1_PASSWORD],
    ["a number is JSON-encoded", "secret/app#port", "8080"],
    ["an object is JSON-encoded", "secret/app#obj", '{"a":[1,"b"]}'],
    ["null is JSON-encoded", "secret/app#nothing", "null"],
  ])("%s", async (_name, target, expected) => {
    const v = await start();
    expect(await read(target, ctxOf({ VAULT_ADDR: v.addr, VAULT_TOKEN: TOKEN }))).toBe(expected);
  });

  test("requests carry the token and namespace, and the v2 data path and version", async () => {
    const v = await start({ namespace: "team-a/ci" });
    const ctx = ctxOf({ VAULT_ADDR: `${v.addr}/`, VAULT_TOKEN: TOKEN, VAULT_NAMESPACE: "team-a/ci" });
    expect(await read("secret/app#api_key@1", ctx)).toBe(OLD_KEY);
    expect(v.seen.map((s) => `${s.method} ${s.path}${s.query}`)).toEqual([
      "GET sys/internal/ui/mounts/secret/app",
      "GET secret/data/app?version=1",
    ]);
    expect(v.seen.every((s) => s.token === TOKEN && s.namespace === "team-a/ci")).toBe(true);
  });

  test("a missing namespace is a 403 naming the id, path and status", async () => {
    const v = await start({ namespace: "team-a" });
    const message = await failure("secret/app#api_key", ctxOf({ VAULT_ADDR: v.addr, VAULT_TOKEN: TOKEN }), "npmrc");
    expect(message).toMatch(/^secret npmrc: vault:secret\/app#api_key: .*403/);
  });

  test("several secrets from one path: one mounts lookup and one read", async () => {
    const v = await start();
    const ctx = ctxOf({ VAULT_ADDR: v.addr, VAULT_TOKEN: TOKEN });
    const values = await Promise.all([read("secret/app#api_key", ctx, "a"), read("secret/app#token", ctx, "b"), read("secret/app#port", ctx, "c")]);
    expect(values).toEqual([API_KEY, APP_TOKEN, "8080"]);
    expect(v.seen.map((s) => s.path)).toEqual(["sys/internal/ui/mounts/secret/app", "secret/data/app"]);
  });

  test("the token comes from ~/.vault-token when VAULT_TOKEN is unset, and is masked", async () => {
    const v = await start();
    writeFileSync(join(home, ".vault-token"), `${TOKEN}\n`, { mode: 0o600 });
    const ctx = ctxOf({ VAULT_ADDR: v.addr }, { home });
    expect(await read("kv1/db#password", ctx)).toBe(V1_PASSWORD);
    expect(ctx.sensitive.map((b) => b.toString())).toEqual([TOKEN]);
    expect((ctx.masker as Masker).maskString(`token ${TOKEN}`)).toBe("token ***");
  });

  test("AppRole login when there is no token; the login token and secret id are masked", async () => {
    const loginToken = `hvs.${rand()}`;
    const v = await start({ approle: { roleId: ROLE_ID, secretId: SECRET_ID, token: loginToken } });
    const ctx = ctxOf({ VAULT_ADDR: v.addr, VAULT_ROLE_ID: ROLE_ID, VAULT_SECRET_ID: SECRET_ID });
    expect(await read("secret/app#api_key", ctx)).toBe(API_KEY);
    expect(await read("kv1/db#password", ctx)).toBe(V1_PASSWORD);
    expect(v.seen.filter((s) => s.path === "auth/approle/login")).toHaveLength(1);
    expect(v.seen.filter((s) => s.path !== "auth/approle/login").every((s) => s.token === loginToken)).toBe(true);
    expect(ctx.sensitive.map((b) => b.toString()).sort()).toEqual([SECRET_ID, loginToken].sort());
  });

  test("a wrong AppRole secret id is an error without the credentials", async () => {
    const v = await start({ approle: { roleId: ROLE_ID, secretId: rand(), token: rand() } });
    const message = await failure("secret/app#api_key", ctxOf({ VAULT_ADDR: v.addr, VAULT_ROLE_ID: ROLE_ID, VAULT_SECRET_ID: SECRET_ID }));
    expect(message).toContain("AppRole login (POST auth/approle/login): HTTP 400");
    expect(message).not.toContain(ROLE_ID);
  });

  test("mounts endpoint forbidden: read as KV v1", async () => {
    const v = await start({ forbidMounts: true });
    const ctx = ctxOf({ VAULT_ADDR: v.addr, VAULT_TOKEN: TOKEN });
    expect(await read("kv1/db#password", ctx)).toBe(V1_PASSWORD);
    // On a v2 mount the user can then name the data path; the v2 reply shape is unwrapped.
    expect(await read("secret/data/app#token", ctx)).toBe(APP_TOKEN);
    const message = await failure("secret/app#token", ctx);
    expect(message).toContain("HTTP 404");
    expect(message).toContain("MOUNT/data/PATH");
  });

  test("retries a 503, then succeeds", async () => {
    const v = await start({ unavailable: { "secret/data/app": 2 } });
    expect(await read("secret/app#api_key", ctxOf({ VAULT_ADDR: v.addr, VAULT_TOKEN: TOKEN }))).toBe(API_KEY);
    expect(v.seen.filter((s) => s.path === "secret/data/app")).toHaveLength(3);
  });

  test("gives up after bounded retries on a 503", async () => {
    const v = await start({ unavailable: { "secret/data/app": 100 } });
    const message = await failure("secret/app#api_key", ctxOf({ VAULT_ADDR: v.addr, VAULT_TOKEN: TOKEN, VAULT_MAX_RETRIES: "1" }));
    expect(message).toContain("GET secret/data/app: HTTP 503 Service Unavailable");
    expect(v.seen.filter((s) => s.path === "secret/data/app")).toHaveLength(2);
  });

  test("does not retry a 4xx", async () => {
    const v = await start({ fail: { "secret/data/app": { status: 400, errors: [`bad request near ${ECHOED}`] } } });
    const message = await failure("secret/app#api_key", ctxOf({ VAULT_ADDR: v.addr, VAULT_TOKEN: TOKEN }));
    expect(message).toContain("HTTP 400");
    expect(v.seen.filter((s) => s.path === "secret/data/app")).toHaveLength(1);
  });

  test("a hanging server times out (per attempt, retried, bounded)", async () => {
    const v = await start({ hang: ["secret/data/app"] });
    const started = Date.now();
    const message = await failure(
      "secret/app#api_key",
      ctxOf({ VAULT_ADDR: v.addr, VAULT_TOKEN: TOKEN, VAULT_CLIENT_TIMEOUT: "0.3", VAULT_MAX_RETRIES: "1" }),
    );
    expect(message).toContain("no reply within 0.3 s (after 2 attempts)");
    expect(Date.now() - started).toBeLessThan(3000);
  });

  test("an abort stops a hanging read as an interruption", async () => {
    const v = await start({ hang: ["secret/data/app"] });
    const controller = new AbortController();
    setTimeout(() => controller.abort("SIGTERM"), 200);
    const error = await vaultProvider(ref("secret/app#api_key"), ctxOf({ VAULT_ADDR: v.addr, VAULT_TOKEN: TOKEN }, { signal: controller.signal })).catch(
      (e: unknown) => e,
    );
    expect(isSafebuildError(error) && error.kind === "interrupted" && error.exitCode === 143).toBe(true);
  });
});

describe("vault: errors name the id, the path, the field and the status, never a token or a value", () => {
  test.each<[string, string, Partial<StandInOptions>, NodeJS.ProcessEnv, RegExp]>([
    ["no such field", "secret/app#nope", {}, {}, /no field "nope" in secret\/data\/app \(its fields: api_key, token, port, obj, nothing\)/],
    ["no such secret (v2)", "secret/missing#x", {}, {}, /GET secret\/data\/missing: HTTP 404 Not Found/],
    ["no such version", "secret/app#api_key@9", {}, {}, /GET secret\/data\/app\?version=9: HTTP 404/],
    ["a deleted version", "secret/gone#key@2", {}, {}, /GET secret\/data\/gone\?version=2: HTTP 404/],
    ["no such secret (v1)", "kv1/nothing#x", {}, {}, /GET kv1\/nothing: HTTP 404/],
    ["a version on KV v1", "kv1/db#password@2", {}, {}, /@VERSION needs a KV v2 mount/],
    ["a path that is a mount", "secret#x", {}, {}, /this is a mount, not a secret/],
    ["a wrong token", "secret/app#api_key", {}, { VAULT_TOKEN: `hvs.${rand()}` }, /GET sys\/internal\/ui\/mounts\/secret\/app|HTTP 403/],
    ["permission denied on read, Vault's errors not echoed", "kv1/db#password", { fail: { "kv1/db": { status: 403, errors: [ECHOED] } } }, {}, /GET kv1\/db: HTTP 403 Forbidden/],
    ["a 500 with a body", "kv1/db#password", { fail: { "kv1/db": { status: 500, errors: [ECHOED] } } }, { VAULT_MAX_RETRIES: "0" }, /GET kv1\/db: HTTP 500/],
    ["no token at all", "kv1/db#password", {}, { VAULT_TOKEN: "" }, /no token: set VAULT_TOKEN/],
    ["no #FIELD", "kv1/db", {}, {}, /expected PATH#FIELD/],
    ["a bad version", "secret/app#api_key@0", {}, {}, /positive integer/],
    ["a bad timeout", "kv1/db#password", {}, { VAULT_CLIENT_TIMEOUT: "soon" }, /VAULT_CLIENT_TIMEOUT must be a positive number/],
    ["an unreadable CA file", "kv1/db#password", {}, { VAULT_CACERT: "/nonexistent/ca.pem" }, /VAULT_CACERT \/nonexistent\/ca.pem: no such file/],
  ])("%s", async (_name, target, overrides, env, expected) => {
    const v = await start(overrides);
    const message = await failure(target, ctxOf({ VAULT_ADDR: v.addr, VAULT_TOKEN: TOKEN, ...env }), "npmrc");
    expect(message).toMatch(/^secret npmrc: /);
    expect(message).toMatch(expected);
  });

  test.each([
    ["unset", undefined, /VAULT_ADDR is not set/],
    ["not a URL", "vault:8200", /VAULT_ADDR must start with http/],
    ["nothing listening", "CLOSED", /cannot connect \(ECONNREFUSED\) \(after 2 attempts\)/],
  ])("VAULT_ADDR %s", async (_name, addr, expected) => {
    const env: NodeJS.ProcessEnv = { VAULT_TOKEN: TOKEN, VAULT_MAX_RETRIES: "1" };
    if (addr !== undefined) env["VAULT_ADDR"] = addr === "CLOSED" ? await closedAddr() : addr;
    expect(await failure("kv1/db#password", ctxOf(env))).toMatch(expected);
  });
});

describe("vault: TLS (VAULT_CACERT, VAULT_SKIP_VERIFY)", () => {
  const dir = mkdtempSync(join(tmpdir(), "sbtest-vault-tls-"));
  let tls: { key: string; cert: string };
  beforeAll(() => {
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
      "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
    ], { stdio: "ignore" });
    tls = { key: readFileSync(join(dir, "key.pem"), "utf8"), cert: readFileSync(join(dir, "cert.pem"), "utf8") };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each<[string, NodeJS.ProcessEnv, boolean]>([
    ["an unknown CA is refused", {}, false],
    ["VAULT_CACERT trusts it", { VAULT_CACERT: "CERT" }, true],
    ["VAULT_CAPATH trusts it", { VAULT_CAPATH: "DIR" }, true],
    ["VAULT_SKIP_VERIFY=true skips verification", { VAULT_SKIP_VERIFY: "true" }, true],
    ["VAULT_SKIP_VERIFY=0 does not", { VAULT_SKIP_VERIFY: "0" }, false],
  ])("%s", async (_name, env, ok) => {
    const v = await start({ tls });
    const fixed = Object.fromEntries(
      Object.entries(env).map(([k, val]) => [k, val === "CERT" ? join(dir, "cert.pem") : val === "DIR" ? dir : val]),
    );
    // VAULT_CAPATH reads every file in the folder; the key is not a certificate, so give it a folder of its own.
    if (fixed["VAULT_CAPATH"] !== undefined) {
      const caDir = mkdtempSync(join(dir, "ca-"));
      writeFileSync(join(caDir, "ca.pem"), tls.cert);
      fixed["VAULT_CAPATH"] = caDir;
    }
    const ctx = ctxOf({ VAULT_ADDR: v.addr, VAULT_TOKEN: TOKEN, VAULT_MAX_RETRIES: "0", ...fixed });
    if (ok) expect(await read("kv1/db#password", ctx)).toBe(V1_PASSWORD);
    else expect(await failure("kv1/db#password", ctx)).toMatch(/cannot connect \(\w+\)/);
  });
});
