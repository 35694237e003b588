import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { engineEndpoint, parseDockerHost } from "../../src/docker/endpoint.js";
import { SafebuildError } from "../../src/errors.js";

const dir = mkdtempSync(path.join(tmpdir(), "engine-tls-endpoint-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A folder holding the named PEM files (their text is their own name, enough to tell them apart). */
function certDir(files: readonly string[]): string {
  const at = mkdtempSync(path.join(dir, "certs-"));
  for (const f of files) writeFileSync(path.join(at, f), `PEM ${f}`);
  return at;
}

/** A docker config dir with one current context, as the CLI writes it (meta.json and tls/<sha256>/docker/*.pem). */
function contextConfig(host: string, tlsFiles: readonly string[], skip?: boolean): string {
  const root = mkdtempSync(path.join(dir, "cfg-"));
  const digest = createHash("sha256").update("remote").digest("hex");
  writeFileSync(path.join(root, "config.json"), JSON.stringify({ currentContext: "remote" }));
  mkdirSync(path.join(root, "contexts", "meta", digest), { recursive: true });
  const endpoint = { Host: host, ...(skip === undefined ? {} : { SkipTLSVerify: skip }) };
  writeFileSync(path.join(root, "contexts", "meta", digest, "meta.json"), JSON.stringify({ Name: "remote", Endpoints: { docker: endpoint } }));
  const tls = path.join(root, "contexts", "tls", digest, "docker");
  mkdirSync(tls, { recursive: true });
  for (const f of tlsFiles) writeFileSync(path.join(tls, f), `PEM ${f}`);
  return root;
}

const all = ["ca.pem", "cert.pem", "key.pem"];

describe("parseDockerHost reads a host as the docker CLI does (opts/hosts.go)", () => {
  test.each<[string, boolean, ReturnType<typeof parseDockerHost>]>([
    ["", false, { kind: "unix", path: "/var/run/docker.sock" }],
    ["", true, { kind: "tcp", host: "localhost", port: 2376 }],
    ["tcp://", true, { kind: "tcp", host: "localhost", port: 2375 }],
    ["tcp://build:2376", true, { kind: "tcp", host: "build", port: 2376 }],
    // the CLI keeps 2375 for a tcp host without a port, TLS or not
    ["tcp://build", true, { kind: "tcp", host: "build", port: 2375 }],
    ["tcp://:2376", false, { kind: "tcp", host: "localhost", port: 2376 }],
    ["tcp://[::1]:2376", true, { kind: "tcp", host: "::1", port: 2376 }],
    ["build:2376", false, { kind: "tcp", host: "build", port: 2376 }],
    ["/run/d.sock", false, { kind: "unix", path: "/run/d.sock" }],
    ["unix://", false, { kind: "unix", path: "/var/run/docker.sock" }],
    ["  unix:///x.sock ", false, { kind: "unix", path: "/x.sock" }],
    ["ssh://u@h", false, { kind: "other" }],
    ["npipe:////./pipe/docker_engine", false, { kind: "other" }],
  ])("%j (tls %s)", (raw, tls, expected) => {
    expect(parseDockerHost(raw, tls)).toEqual(expected);
  });
});

describe("engineEndpoint: where and how, from the environment or the context", () => {
  const certs = certDir(all);
  const noClientCert = certDir(["ca.pem"]);
  const onlyCert = certDir(["ca.pem", "cert.pem"]);
  test.each<[string, NodeJS.ProcessEnv, object]>([
    ["no TLS variable: plain tcp", { DOCKER_HOST: "tcp://h:2375" }, { host: "h", port: 2375 }],
    [
      "DOCKER_TLS_VERIFY: TLS checked against DOCKER_CERT_PATH's CA, with its client pair",
      { DOCKER_HOST: "tcp://h:2376", DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: certs },
      { host: "h", port: 2376, tls: { ca: "PEM ca.pem", cert: "PEM cert.pem", key: "PEM key.pem", rejectUnauthorized: true } },
    ],
    [
      "DOCKER_TLS_VERIFY=0 still verifies (any non-empty value, as the CLI reads it)",
      { DOCKER_HOST: "tcp://h:2376", DOCKER_TLS_VERIFY: "0", DOCKER_CERT_PATH: certs },
      { tls: { rejectUnauthorized: true } },
    ],
    [
      "DOCKER_TLS alone: TLS without the check, the CA not even read",
      { DOCKER_HOST: "tcp://h:2376", DOCKER_TLS: "1", DOCKER_CERT_PATH: noClientCert },
      { tls: { rejectUnauthorized: false } },
    ],
    ["no client pair in the cert path: TLS without one", { DOCKER_HOST: "tcp://h:2376", DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: noClientCert }, { tls: { ca: "PEM ca.pem", rejectUnauthorized: true } }],
    ["DOCKER_CERT_PATH defaults to the CLI's config dir", { DOCKER_HOST: "tcp://h", DOCKER_TLS_VERIFY: "1", DOCKER_CONFIG: certs }, { port: 2375, tls: { ca: "PEM ca.pem" } }],
    ["TLS without DOCKER_HOST: tcp://localhost:2376, as the CLI", { DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: certs, DOCKER_CONFIG: dir }, { host: "localhost", port: 2376, tls: { rejectUnauthorized: true } }],
    ["an empty DOCKER_TLS_VERIFY is unset", { DOCKER_HOST: "tcp://h:2375", DOCKER_TLS_VERIFY: "" }, { host: "h", port: 2375 }],
    [
      "a context with TLS files: TLS with them, env TLS variables ignored",
      { DOCKER_CONFIG: contextConfig("tcp://ctx:2376", all), DOCKER_TLS: "" },
      { host: "ctx", port: 2376, tls: { ca: "PEM ca.pem", cert: "PEM cert.pem", key: "PEM key.pem", rejectUnauthorized: true } },
    ],
    ["a context with only SkipTLSVerify: TLS, unchecked", { DOCKER_CONFIG: contextConfig("tcp://ctx:2376", [], true) }, { tls: { rejectUnauthorized: false } }],
    ["a context with a CA only: TLS, checked", { DOCKER_CONFIG: contextConfig("tcp://ctx:2376", ["ca.pem"]) }, { tls: { ca: "PEM ca.pem", rejectUnauthorized: true } }],
    ["a context without TLS material: plain", { DOCKER_CONFIG: contextConfig("tcp://ctx:2375", []) }, { host: "ctx", port: 2375 }],
    ["DOCKER_HOST wins over a TLS context, with the env's TLS (none)", { DOCKER_CONFIG: contextConfig("tcp://ctx:2376", all), DOCKER_HOST: "tcp://h:2375" }, { host: "h" }],
  ])("%s", (_name, env, expected) => {
    const endpoint = engineEndpoint(env);
    expect(endpoint?.options).toMatchObject(expected);
    if (!("tls" in expected)) expect(endpoint?.options.tls).toBeUndefined();
  });

  test("a context's client cert without its key is not sent (the CLI needs both)", () => {
    const tls = engineEndpoint({ DOCKER_CONFIG: contextConfig("tcp://ctx:2376", ["ca.pem", "cert.pem"]) })?.options.tls;
    expect(tls).toEqual({ ca: "PEM ca.pem", rejectUnauthorized: true });
  });

  test.each<[string, NodeJS.ProcessEnv, string]>([
    ["a missing CA with DOCKER_TLS_VERIFY", { DOCKER_HOST: "tcp://h:2376", DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: path.join(dir, "nope") }, `${path.join(dir, "nope", "ca.pem")} (ENOENT)`],
    ["a cert without its key", { DOCKER_HOST: "tcp://h:2376", DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: onlyCert }, path.join(onlyCert, "key.pem")],
    ["a CA that is a folder", { DOCKER_HOST: "tcp://h:2376", DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: path.dirname(certs) }, "(EISDIR)"],
  ])("%s: one line naming the file, exit 4", (_name, env, named) => {
    if (named === "(EISDIR)") mkdirSync(path.join(path.dirname(certs), "ca.pem"), { recursive: true });
    const error = (() => {
      try {
        engineEndpoint(env);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(SafebuildError);
    expect((error as SafebuildError).exitCode).toBe(4);
    expect((error as SafebuildError).message).toContain(named);
    expect((error as SafebuildError).message).not.toContain("\n");
  });
});
