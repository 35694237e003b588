import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, beforeEach, describe, expect, test } from "vitest";
import { runCli } from "../helpers/cli.js";
import { registryAvailable, startRegistry } from "../helpers/registry.js";
import { encodingsIn, makeRecordingDocker, neutralEnv, randomSecret, type RecordedCall } from "./fault-kit.js";

// Every child safebuild starts, on every path, seen through a recording stand-in for the docker
// CLI (and, for cmd: sources, a script that dumps its environment): no secret value in any
// encoding, no secret-source variable, no Vault credential, no cloud key where the policy
// (docs/child-processes.md) says the child does without.
const fake = makeRecordingDocker();
const work = mkdtempSync(join(tmpdir(), "sbtest-child-env-"));
afterAll(() => {
  fake.cleanup();
  rmSync(work, { recursive: true, force: true });
});
// `docker save` streams a real archive; its id is its config's digest.
copyFileSync(resolve(import.meta.dirname, "../fixtures/images/clean.docker.tar"), join(dirname(fake.path), "save.tar"));
const IID = "sha256:ec94e93ab627f673e90636c9a4a74806a4dd32f7a6d288d8c8b1baba48a9a109";
writeFileSync(
  join(work, "Dockerfile"),
  "FROM scratch\nRUN --mount=type=secret,id=tok --mount=type=secret,id=npmrc --mount=type=secret,id=dock --mount=type=secret,id=SBTEST_CE_BARE true\n",
);

const SOURCES = ["SBTEST_CE_TOK", "SBTEST_CE_DOCK", "SBTEST_CE_BARE"];
const VAULT = { VAULT_TOKEN: randomSecret("sbce-vault-token"), VAULT_SECRET_ID: randomSecret("sbce-secret-id"), VAULT_ROLE_ID: randomSecret("sbce-role-id") };
const CLOUD = {
  AWS_ACCESS_KEY_ID: randomSecret("sbce-akid"),
  AWS_SECRET_ACCESS_KEY: randomSecret("sbce-aws-secret"),
  AWS_SESSION_TOKEN: randomSecret("sbce-aws-session"),
  AZURE_CLIENT_SECRET: randomSecret("sbce-azure"),
  GOOGLE_APPLICATION_CREDENTIALS: `/tmp/${randomSecret("sbce-gcp")}.json`,
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: randomSecret("sbce-oidc"),
};

function setup(home?: string) {
  const values = {
    tok: randomSecret("sbce-env"),
    file: `${randomSecret("sbce-file")}\n`,
    dock: randomSecret("sbce-dock"),
    bare: randomSecret("sbce-bare"),
  };
  const file = join(work, "npmrc");
  writeFileSync(file, values.file);
  const fileValue = values.file.trim();
  rmSync(fake.recordFile, { force: true });
  return {
    secrets: [values.tok, values.file, fileValue, values.dock, values.bare, ...Object.values(VAULT), ...Object.values(CLOUD)],
    values: [values.tok, values.file, values.dock, values.bare],
    specs: ["--secret", "tok=env:SBTEST_CE_TOK", "--secret", `npmrc=${file}`, "--secret", "id=dock,env=SBTEST_CE_DOCK", "--secret", "id=SBTEST_CE_BARE"],
    env: {
      ...neutralEnv,
      SBTEST_CE_TOK: values.tok,
      SBTEST_CE_DOCK: values.dock,
      SBTEST_CE_BARE: values.bare,
      // A file secret's value under other names, as it is, inside, and encoded: known only once
      // resolved, so they must not reach the probes either (which run before).
      SBTEST_CE_COPY: fileValue,
      DOCKER_CE_WRAPPED: `prefix:${fileValue}:suffix`,
      DOCKER_CE_B64: Buffer.from(fileValue).toString("base64"),
      DOCKER_PASSWORD: values.dock,
      SBTEST_CE_PLAIN: "kept-plain-value",
      ...VAULT,
      ...CLOUD,
      // the CLI export path: an engine safebuild cannot read itself
      DOCKER_HOST: "ssh://sbtest-child-env@127.0.0.1",
      SAFEBUILD_DOCKER: fake.path,
      FAULT_DOCKER_IID: IID,
      ...(home === undefined ? {} : { HOME: home, DOCKER_CONFIG: join(home, ".docker") }),
    },
  };
}

const kindOf = (call: RecordedCall): string =>
  call.argv[0] === "version" || call.argv[0] === "buildx" ? "probe" : call.argv[0] === "build" ? "build" : call.argv[0] === "push" ? "push" : "export";

/** Everything no docker child may hold, whatever it is. */
function expectClean(call: RecordedCall, values: readonly string[], options: { cloud: boolean } = { cloud: false }): void {
  const what = `${kindOf(call)} (${call.argv.slice(0, 2).join(" ")})`;
  const seen = JSON.stringify(call.env) + JSON.stringify(call.argv);
  for (const value of values) expect(encodingsIn(seen, value), `${what}: a secret's encodings`).toEqual([]);
  for (const name of SOURCES) expect(call.env[name], `${what}: ${name}`).toBeUndefined();
  for (const name of ["SBTEST_CE_COPY", "DOCKER_CE_WRAPPED", "DOCKER_CE_B64", "DOCKER_PASSWORD"]) expect(call.env[name], `${what}: ${name}`).toBeUndefined();
  for (const [name, value] of Object.entries(VAULT)) {
    expect(call.env[name], `${what}: ${name}`).toBeUndefined();
    expect(seen.includes(value), `${what}: the value of ${name}`).toBe(false);
  }
  expect(Object.keys(call.env).filter((n) => n.startsWith("VAULT_")), what).toEqual([]);
  for (const [name, value] of Object.entries(CLOUD)) {
    const kept = options.cloud && kindOf(call) === "build" && name.startsWith("AWS_");
    expect(call.env[name], `${what}: ${name}`).toBe(kept ? value : undefined);
  }
  expect(call.env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"], what).toBeUndefined();
}

describe("docker children on every path", () => {
  beforeEach(() => rmSync(fake.recordFile, { force: true }));

  test("build: probes, builder and the scan's CLI export (ssh:// engine) get no secret, source variable or provider credential", async () => {
    const s = setup();
    const run = await runCli(["build", ...s.specs, work], { env: s.env, secrets: s.secrets });
    expect(run.code, run.output).toBe(0);
    const calls = fake.calls();
    expect(calls.map((c) => `${kindOf(c)} ${c.argv[0]} ${c.argv[1]}`).sort()).toEqual(
      ["build build --progress=plain", "export image inspect", `export save ${IID}`, "probe buildx version", "probe version --format"].sort(),
    );
    for (const call of calls) expectClean(call, s.values);
    // what each child still needs
    for (const call of calls) expect(call.env["DOCKER_HOST"]).toBe(s.env.DOCKER_HOST);
    for (const call of calls) expect(call.env["PATH"]).toBe(process.env["PATH"]);
    const probe = calls.find((c) => c.argv[0] === "version");
    expect(probe?.env["SBTEST_CE_PLAIN"], "probes get an allowlist").toBeUndefined();
    const build = calls.find((c) => c.argv[0] === "build");
    expect(build?.env["SBTEST_CE_PLAIN"], "the builder keeps ordinary variables").toBe("kept-plain-value");
  });

  test("build with docker-credential-ecr-login configured: the builder alone keeps the AWS keys; Vault never", async () => {
    const home = join(work, "home-ecr");
    mkdirSync(join(home, ".docker"), { recursive: true });
    writeFileSync(join(home, ".docker", "config.json"), JSON.stringify({ credHelpers: { "123456789012.dkr.ecr.eu-west-1.amazonaws.com": "ecr-login" } }));
    const s = setup(home);
    const run = await runCli(["build", ...s.specs, work], { env: s.env, secrets: s.secrets });
    expect(run.code, run.output).toBe(0);
    const calls = fake.calls();
    expect(calls.map(kindOf).sort()).toEqual(["build", "export", "export", "probe", "probe"]);
    for (const call of calls) expectClean(call, s.values, { cloud: true });
  });

  test("scan through the docker CLI (ssh:// engine): inspect and save get no secret, source variable or provider credential", async () => {
    const s = setup();
    const run = await runCli(["scan", ...s.specs, "sbtest-child-env:1"], { env: s.env, secrets: s.secrets });
    expect(run.code, run.output).toBe(0);
    const calls = fake.calls();
    expect(calls.map((c) => `${c.argv[0]} ${c.argv[1]}`)).toEqual(["image inspect", `save ${IID}`]);
    for (const call of calls) expectClean(call, s.values);
    for (const call of calls) expect(call.env["SBTEST_CE_PLAIN"]).toBe("kept-plain-value");
  });

  test.runIf(registryAvailable())("build --push: the docker push child gets no secret, source variable or provider credential; the pushed digest is the real registry's", async () => {
    const registry = await startRegistry();
    try {
      // the image the stand-in's push "sends" is really in the registry (skopeo put it there), so the
      // HEAD that follows every push finds it
      const ref = `${registry.host}/sbtest/child-env-push:1`;
      const copy = spawnSync("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", `docker-archive:${join(dirname(fake.path), "save.tar")}`, `docker://${ref}`], { encoding: "utf8" });
      expect(copy.status, copy.stderr).toBe(0);
      const head = await fetch(`http://${registry.host}/v2/sbtest/child-env-push/manifests/1`, {
        method: "HEAD",
        headers: { accept: "application/vnd.docker.distribution.manifest.v2+json" },
      });
      const digest = head.headers.get("docker-content-digest") ?? "";
      expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      const s = setup();
      const run = await runCli(["build", ...s.specs, "-t", ref, "--push", work], { env: { ...s.env, FAULT_DOCKER_PUSH_DIGEST: digest }, secrets: s.secrets });
      expect(run.code, run.output).toBe(0);
      expect(run.stderr.toString()).toContain(`safebuild: pushed ${ref}@${digest}`);
      const calls = fake.calls();
      expect(calls.filter((c) => kindOf(c) === "push").map((c) => c.argv)).toEqual([["push", ref]]);
      for (const call of calls) expectClean(call, s.values);
      const push = calls.find((c) => kindOf(c) === "push");
      expect(push?.env["DOCKER_HOST"]).toBe(s.env.DOCKER_HOST);
      expect(push?.env["SBTEST_CE_PLAIN"], "the push keeps ordinary variables").toBe("kept-plain-value");
    } finally {
      await registry.stop();
    }
  });
});

describe("cmd: children (check, build, scan resolve the same way)", () => {
  test("check: a cmd: source sees no secret-source variable and no variable holding a value already resolved; it keeps the operator's credentials", async () => {
    const s = setup();
    const dump = join(work, "cmd-env.json");
    const script = join(work, "dump-env.mjs");
    writeFileSync(script, `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(dump)}, JSON.stringify(process.env));\nprocess.stdout.write("sbce-cmd-value-0123456789");\n`);
    // the cmd: source comes after the others, so their values are known when it starts
    const run = await runCli(["check", ...s.specs, "--secret", `cmdsecret=cmd:node ${script}`, work], { env: s.env, secrets: [...s.secrets, "sbce-cmd-value-0123456789"] });
    expect(run.code, run.output).toBe(0);
    const env = JSON.parse(readFileSync(dump, "utf8")) as Record<string, string>;
    const seen = JSON.stringify(env);
    for (const value of s.values) expect(encodingsIn(seen, value), "a secret's encodings").toEqual([]);
    for (const name of [...SOURCES, "SBTEST_CE_COPY", "DOCKER_CE_WRAPPED", "DOCKER_CE_B64", "DOCKER_PASSWORD"]) expect(env[name], name).toBeUndefined();
    // aws, op, pass, vault need the operator's own credentials
    for (const [name, value] of Object.entries({ ...VAULT, ...CLOUD })) expect(env[name], name).toBe(value);
    expect(env["SBTEST_CE_PLAIN"]).toBe("kept-plain-value");
  });

  test("a cmd: source listed first still never sees a later env: source's variable", async () => {
    const s = setup();
    const dump = join(work, "cmd-env-first.json");
    const script = join(work, "dump-env-first.mjs");
    writeFileSync(script, `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(dump)}, JSON.stringify(process.env));\nprocess.stdout.write("sbce-cmd-first-0123456789");\n`);
    const run = await runCli(["check", "--secret", `cmdsecret=cmd:node ${script}`, ...s.specs, work], { env: s.env, secrets: [...s.secrets, "sbce-cmd-first-0123456789"] });
    expect(run.code, run.output).toBe(0);
    const env = JSON.parse(readFileSync(dump, "utf8")) as Record<string, string>;
    for (const name of SOURCES) expect(env[name], name).toBeUndefined();
  });
});
