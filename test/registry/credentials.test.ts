import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { findCredential } from "../../src/registry/credentials.js";
import { HUB_AUTH_KEY } from "../../src/registry/reference.js";

const work = mkdtempSync(join(tmpdir(), "sbtest-regcreds-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const b64 = (text: string): string => Buffer.from(text).toString("base64");
let n = 0;

/** A fresh DOCKER_CONFIG (and podman file) plus a bin dir of stand-in `docker-credential-*` helpers. */
function setup(config: unknown, podman?: unknown) {
  const dir = join(work, `case-${n++}`);
  mkdirSync(join(dir, "docker"), { recursive: true });
  mkdirSync(join(dir, "bin"));
  if (config !== undefined) writeFileSync(join(dir, "docker", "config.json"), JSON.stringify(config));
  if (podman !== undefined) writeFileSync(join(dir, "auth.json"), JSON.stringify(podman));
  const helper = (name: string, script: string): void => {
    writeFileSync(join(dir, "bin", `docker-credential-${name}`), `#!/bin/sh\n${script}\n`);
    chmodSync(join(dir, "bin", `docker-credential-${name}`), 0o755);
  };
  const sensitive: string[] = [];
  const options = {
    env: { DOCKER_CONFIG: join(dir, "docker"), REGISTRY_AUTH_FILE: podman === undefined ? join(dir, "none.json") : join(dir, "auth.json") },
    helperEnv: { PATH: `${join(dir, "bin")}:/usr/bin:/bin` },
    sensitive: (value: Buffer) => sensitive.push(value.toString()),
  };
  return { dir, helper, options, sensitive };
}

describe("registry credentials, found as the docker CLI finds them", () => {
  test("config.json auths: user:password in `auth`, keyed by host or URL; registered as sensitive", async () => {
    const { options, sensitive } = setup({ auths: { "https://r.example:5000/v1/": { auth: b64("alice:pw-one") }, "other.io": { auth: b64("bob:pw-two") } } });
    const { credential, tried } = await findCredential(["r.example:5000"], options);
    expect(credential).toMatchObject({ username: "alice", password: "pw-one", identityToken: undefined });
    expect(credential?.source).toContain("config.json auths");
    expect(tried).toHaveLength(1);
    expect(sensitive).toContain("pw-one");
    expect(JSON.stringify(credential?.source)).not.toContain("pw-one");
  });

  test("an identity token", async () => {
    const { options } = setup({ auths: { "r.io": { identitytoken: "refresh-abc" } } });
    expect((await findCredential(["r.io"], options)).credential).toMatchObject({ identityToken: "refresh-abc", password: undefined });
  });

  test("Docker Hub's entry is found under its v1 URL", async () => {
    const { options } = setup({ auths: { [HUB_AUTH_KEY]: { auth: b64("hubuser:hubpw") } } });
    expect((await findCredential([HUB_AUTH_KEY, "docker.io"], options)).credential?.username).toBe("hubuser");
  });

  test("credHelpers beats credsStore beats auths; the helper gets the server on stdin", async () => {
    const { dir, helper, options, sensitive } = setup({ credHelpers: { "r.io": "one" }, credsStore: "store", auths: { "r.io": { auth: b64("file:filepw") } } });
    helper("one", `cat > ${dir}/asked; echo '{"ServerURL":"r.io","Username":"helped","Secret":"helper-pw"}'`);
    helper("store", `echo '{"ServerURL":"x","Username":"stored","Secret":"store-pw"}'`);
    expect((await findCredential(["r.io"], options)).credential).toMatchObject({ username: "helped", password: "helper-pw" });
    expect(readFileSync(join(dir, "asked"), "utf8")).toBe("r.io");
    expect(sensitive).toContain("helper-pw");
    expect((await findCredential(["other.io"], options)).credential).toMatchObject({ username: "stored", password: "store-pw" });
  });

  test("a helper's <token> user means an identity token", async () => {
    const { helper, options } = setup({ credsStore: "tok" });
    helper("tok", `echo '{"ServerURL":"r.io","Username":"<token>","Secret":"idtok"}'`);
    expect((await findCredential(["r.io"], options)).credential).toMatchObject({ identityToken: "idtok", password: undefined });
  });

  test("'credentials not found' falls through to auths, then podman's auth.json", async () => {
    const { helper, options } = setup({ credsStore: "empty" }, { auths: { "r.io": { auth: b64("pod:podpw") } } });
    helper("empty", `echo "credentials not found in native keychain"; exit 1`);
    const { credential, tried } = await findCredential(["r.io"], options);
    expect(credential).toMatchObject({ username: "pod", password: "podpw" });
    expect(tried[0]).toContain("docker-credential-empty");
    expect(tried.at(-1)).toContain("auth.json");
  });

  test("nothing anywhere: no credential, and the sources asked are listed", async () => {
    const { options } = setup({ auths: { "other.io": { auth: b64("x:y") } } });
    expect(await findCredential(["r.io"], options)).toEqual({ credential: undefined, tried: [] });
  });

  test.each([
    ["a helper that fails", `echo "boom" >&2; exit 3`, /exited with status 3/],
    ["a helper that answers garbage", `echo not-json`, /not JSON/],
    ["a helper with no Secret", `echo '{"Username":"u"}'`, /no Username and Secret/],
  ])("%s is an environment error (exit 4) naming the helper", async (_name, script, message) => {
    const { helper, options } = setup({ credsStore: "bad" });
    helper("bad", script);
    await expect(findCredential(["r.io"], options)).rejects.toMatchObject({ exitCode: 4, message: expect.stringMatching(message) });
  });

  test("a helper that is not installed", async () => {
    const { options } = setup({ credsStore: "missing" });
    await expect(findCredential(["r.io"], options)).rejects.toMatchObject({ exitCode: 4, message: expect.stringContaining("docker-credential-missing") });
  });
});
