import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { createServer, connect, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { engineAnswers } from "../build/cli.js";
import { tarOf } from "../helpers/archives.js";
import { runCli } from "../helpers/cli.js";
import { messageLines, neutralEnv } from "../faults/fault-kit.js";

const DOCKER = "/usr/bin/docker";
const run = randomBytes(3).toString("hex");
const tag = `engine-tls-leak-${run}:1`;
const work = mkdtempSync(join(tmpdir(), "engine-tls-itg-"));
const value = `sbtls-${randomBytes(18).toString("base64url")}`;
const CONTEXT = "engine-tls-remote";

// Under CI=true a missing engine or socat throws: these tests run or fail, never skip.
const up = engineAnswers();
const hasSocat = spawnSync("socat", ["-V"], { stdio: "ignore" }).status === 0;
if (process.env["CI"] === "true" && !hasSocat) throw new Error("socat is missing: run scripts/ci-deps.sh");

const openssl = (...args: string[]): void => void execFileSync("openssl", args, { cwd: work, stdio: "ignore" });

/** A CA, a server certificate for 127.0.0.1 and a client certificate, as `dockerd --tlsverify` setups make them. */
function makeCertificates(): void {
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out", "ca.pem", "-days", "2", "-subj", "/CN=engine-tls test CA");
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server-key.pem", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
  writeFileSync(join(work, "server.ext"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial", "-out", "server-cert.pem", "-days", "2", "-extfile", "server.ext");
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "client.csr", "-subj", "/CN=client");
  writeFileSync(join(work, "client.ext"), "extendedKeyUsage=clientAuth\n");
  openssl("x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial", "-out", "cert.pem", "-days", "2", "-extfile", "client.ext");
  // another CA, which signed nothing the engine shows
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other-ca-key.pem", "-out", "other-ca.pem", "-days", "2", "-subj", "/CN=other CA");
}

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });

/** A docker config dir with a current context whose endpoint is `host` with these TLS files, as the CLI stores it. */
function contextConfig(name: string, host: string, tls: Record<string, string>): string {
  const root = join(work, `config-${name}`);
  const digest = createHash("sha256").update(CONTEXT).digest("hex");
  mkdirSync(join(root, "contexts", "meta", digest), { recursive: true });
  writeFileSync(join(root, "config.json"), JSON.stringify({ currentContext: CONTEXT }));
  writeFileSync(join(root, "contexts", "meta", digest, "meta.json"), JSON.stringify({ Name: CONTEXT, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } }));
  const dir = join(root, "contexts", "tls", digest, "docker");
  mkdirSync(dir, { recursive: true });
  for (const [to, from] of Object.entries(tls)) copyFileSync(join(work, from), join(dir, to));
  return root;
}

const scan = (env: NodeJS.ProcessEnv) =>
  runCli(["scan", tag, "--secret", "tok=env:SBTEST_TLS", "--format", "json"], {
    env: { ...neutralEnv, DOCKER_HOST: undefined, DOCKER_CONTEXT: undefined, DOCKER_TLS_VERIFY: undefined, DOCKER_TLS: undefined, DOCKER_CERT_PATH: undefined, SBTEST_TLS: value, ...env },
    secrets: [value],
    timeoutMs: 120_000,
  });

describe.skipIf(!up || !hasSocat)("an engine behind TLS with client certificates (socat in front of the engine socket)", () => {
  let socat: ChildProcess;
  let port = 0;
  const tlsFiles = { "ca.pem": "ca.pem", "cert.pem": "cert.pem", "key.pem": "key.pem" };

  beforeAll(async () => {
    makeCertificates();
    const layer = await tarOf([{ name: "app/token", data: Buffer.from(`token=${value}\n`) }]);
    execFileSync(DOCKER, ["import", "-", tag], { input: layer, stdio: ["pipe", "ignore", "inherit"] });
    port = await freePort();
    socat = spawn(
      "socat",
      [`OPENSSL-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork,cert=${join(work, "server-cert.pem")},key=${join(work, "server-key.pem")},cafile=${join(work, "ca.pem")},verify=1`, "UNIX-CONNECT:/var/run/docker.sock"],
      { stdio: "ignore" },
    );
    // ready once it accepts a connection
    for (let i = 0; i < 100; i++) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = connect({ host: "127.0.0.1", port }, () => (s.destroy(), resolve(true)));
        s.on("error", () => resolve(false));
      });
      if (ok) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }, 60_000);
  afterAll(() => {
    socat?.kill();
    spawnSync(DOCKER, ["rmi", "-f", tag], { stdio: "ignore" });
    rmSync(work, { recursive: true, force: true });
  });

  test("a context with TLS material: the scan reads the engine over TLS and finds the leak", async () => {
    const result = await scan({ DOCKER_CONFIG: contextConfig("good", `tcp://127.0.0.1:${port}`, tlsFiles) });
    expect(result.code, result.stderr.toString()).toBe(1);
    const report = JSON.parse(result.stdout.toString()) as { image: { id: string }; findings: { secret: string; path: string }[] };
    expect(report.findings).toContainEqual(expect.objectContaining({ secret: "tok", path: "app/token" }));
    expect(report.image.id).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  test("DOCKER_HOST with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH: the same, over TLS", async () => {
    const result = await scan({ DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: work, DOCKER_CONFIG: join(work, "no-config") });
    expect(result.code, result.stderr.toString()).toBe(1);
  });

  test("a context whose CA did not sign the engine's certificate: exit 4, one line, nothing read", async () => {
    const result = await scan({ DOCKER_CONFIG: contextConfig("other-ca", `tcp://127.0.0.1:${port}`, { ...tlsFiles, "ca.pem": "other-ca.pem" }) });
    expect(result.code, result.stderr.toString()).toBe(4);
    expect(messageLines(result.stderr.toString())).toEqual([expect.stringMatching(/^safebuild: cannot reach the Docker engine at tcp:\/\/127\.0\.0\.1:\d+ \(\w+\)$/)]);
  });

  test("DOCKER_TLS_VERIFY with a cert path lacking ca.pem: exit 4 naming the file", async () => {
    const empty = join(work, "empty-certs");
    mkdirSync(empty, { recursive: true });
    const result = await scan({ DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: empty });
    expect(result.code, result.stderr.toString()).toBe(4);
    expect(messageLines(result.stderr.toString())).toEqual([`safebuild: cannot read the Docker TLS file ${join(empty, "ca.pem")} (ENOENT)`]);
  });

  test.each([
    ["a context with TLS material", (p: number) => ({ DOCKER_CONFIG: contextConfig(`plain-${p}`, `tcp://127.0.0.1:${p}`, tlsFiles) })],
    ["DOCKER_HOST with DOCKER_TLS_VERIFY", (p: number) => ({ DOCKER_HOST: `tcp://127.0.0.1:${p}`, DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: work })],
    ["DOCKER_HOST with DOCKER_TLS (no verify)", (p: number) => ({ DOCKER_HOST: `tcp://127.0.0.1:${p}`, DOCKER_TLS: "1", DOCKER_CERT_PATH: work })],
  ])("%s, answered by a plain listener: it receives a TLS handshake, never an HTTP request", async (_name, envOf) => {
    const received: Buffer[] = [];
    const listener = createServer((socket) => {
      socket.on("data", (chunk: Buffer) => received.push(chunk));
      socket.on("error", () => undefined);
      // a plain engine would answer; this one just closes after a while
      setTimeout(() => socket.destroy(), 200);
    });
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    const plainPort = (listener.address() as AddressInfo).port;
    try {
      const result = await scan(envOf(plainPort));
      expect(result.code, result.stderr.toString()).toBe(4);
      const bytes = Buffer.concat(received);
      expect(bytes.length).toBeGreaterThan(0);
      // a TLS record (handshake, content type 22), and no HTTP anywhere
      expect(bytes[0]).toBe(0x16);
      expect(bytes.includes("HTTP/1.1")).toBe(false);
      expect(bytes.includes("GET ")).toBe(false);
      expect(bytes.includes("/images/")).toBe(false);
    } finally {
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    }
  });
});
