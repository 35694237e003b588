import { describe, expect, test } from "vitest";
import { childEnv, credentialFamily, PROVIDER_CREDENTIALS, secretTraces, type ChildPurpose, type CloudFamily } from "../../src/secrets/child-env.js";
import { SecretValue } from "../../src/secrets/secret-value.js";
import type { SecretRef } from "../../src/secrets/secret.js";

const secret = "s3cr3t-value-123";
const value = SecretValue.copyOf(Buffer.from(`${secret}\n`));
const short = SecretValue.copyOf(Buffer.from("pw12"));
const refs: SecretRef[] = [
  { id: "t", kind: "env", target: "TOKEN", spec: "t=env:TOKEN" },
  { id: "d", kind: "env", target: "DOCKER_FORM", spec: "id=d,env=DOCKER_FORM" },
  // the bare-id rule: the variable named like the id, else the file ./BARE
  { id: "BARE", kind: "env", target: "BARE", spec: "id=BARE", fallbackFile: "BARE" },
  { id: "f", kind: "file", target: "/some/file", spec: "f=/some/file" },
];
const traces = secretTraces(refs, [value, short]);
const b64 = Buffer.from(secret).toString("base64");
const hex = Buffer.from(secret).toString("hex");

const allPurposes: ChildPurpose[] = ["probe", "build", "export", "provider"];

describe("childEnv: what every child loses", () => {
  test.each([
    ["the env: source", { TOKEN: "anything" }],
    ["the docker-form env= source", { DOCKER_FORM: "anything" }],
    ["the bare-id env source", { BARE: "anything" }],
    ["a copy of a value", { OTHER: `${secret}\n` }],
    ["a copy without its trailing newline", { OTHER: secret }],
    ["a value inside a longer one", { DOCKER_URL: `https://u:${secret}@host` }],
    ["its base64 inside a longer one", { DOCKER_AUTH: `Basic ${b64}` }],
    ["its hex", { DOCKER_X: hex }],
    ["its percent-encoding inside a URL", { http_proxy: `http://u:${encodeURIComponent(`${secret}\n`)}@proxy:3128` }],
    ["a short secret, held exactly", { DOCKER_PIN: "pw12" }],
    ["a short secret with a newline", { DOCKER_PIN: "pw12\n" }],
  ])("%s, for every purpose", (_name, parent) => {
    for (const purpose of allPurposes) expect(childEnv(purpose, { PATH: "/bin", ...parent }, traces), purpose).toEqual({ PATH: "/bin" });
  });

  test.each([
    ["a short secret inside a longer value (too common to judge by)", { DOCKER_HOST: "tcp://pw12.example:2375" }],
    ["a value sharing only a prefix with a secret", { DOCKER_CONFIG: secret.slice(0, 7) }],
    ["an ordinary docker setting", { DOCKER_HOST: "unix:///run/docker.sock", LANG: "C.UTF-8" }],
  ])("keeps %s", (_name, parent) => {
    for (const purpose of allPurposes) expect(childEnv(purpose, parent, traces), purpose).toEqual(parent);
  });

  test("no secrets known yet: only names and credentials count", () => {
    expect(childEnv("export", { TOKEN: "x", OTHER: secret, VAULT_TOKEN: "v" }, secretTraces(refs))).toEqual({ OTHER: secret });
  });

  test("a wiped value no longer counts (its bytes are gone)", () => {
    const gone = SecretValue.copyOf(Buffer.from("wiped-secret-value"));
    const t = secretTraces([], [gone]);
    gone.wipe();
    expect(childEnv("build", { OTHER: "wiped-secret-value" }, t)).toEqual({ OTHER: "wiped-secret-value" });
  });
});

describe("childEnv: provider credentials", () => {
  const creds = {
    VAULT_TOKEN: "hvs.x",
    VAULT_SECRET_ID: "sid",
    VAULT_ROLE_ID: "rid",
    VAULT_ADDR: "https://vault:8200",
    BAO_TOKEN: "b",
    AWS_ACCESS_KEY_ID: "AKIA",
    AWS_SECRET_ACCESS_KEY: "aws",
    AWS_SESSION_TOKEN: "sess",
    GOOGLE_APPLICATION_CREDENTIALS: "/k.json",
    AZURE_CLIENT_SECRET: "az",
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: "oidc",
    // a CI job's own tokens: pushing to the repository, publishing packages
    GITHUB_TOKEN: "ghs_job",
    CI_JOB_TOKEN: "glcbt-job",
    NPM_TOKEN: "npm_job",
  };
  const parent = { PATH: "/bin", AWS_REGION: "eu-west-1", ...creds };

  test.each<[ChildPurpose, ReadonlySet<CloudFamily> | undefined, string[]]>([
    ["probe", undefined, ["PATH"]],
    ["export", undefined, ["PATH", "AWS_REGION"]],
    ["build", undefined, ["PATH", "AWS_REGION"]],
    // a build whose docker config runs docker-credential-ecr-login keeps AWS keys, and only those
    ["build", new Set(["aws"]), ["PATH", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]],
    ["build", new Set(["gcp", "azure"]), ["PATH", "AWS_REGION", "GOOGLE_APPLICATION_CREDENTIALS", "AZURE_CLIENT_SECRET"]],
    // cmd: sources run the operator's own tools (aws, op, vault): they keep every credential
    ["provider", undefined, Object.keys(parent)],
  ])("%s (clouds %o)", (purpose, clouds, kept) => {
    const env = childEnv(purpose, parent, secretTraces([]), clouds === undefined ? {} : { clouds });
    expect(Object.keys(env).sort()).toEqual([...kept].sort());
  });

  test("a cloud key kept for the build is still dropped when it is a secret's source or value", () => {
    const awsSecret = SecretValue.copyOf(Buffer.from("aws-secret-key-0123456789"));
    const t = secretTraces([{ id: "k", kind: "env", target: "AWS_ACCESS_KEY_ID", spec: "k=env:AWS_ACCESS_KEY_ID" }], [awsSecret]);
    const env = childEnv("build", { AWS_ACCESS_KEY_ID: "AKIA", AWS_SECRET_ACCESS_KEY: "aws-secret-key-0123456789" }, t, { clouds: new Set(["aws"]) });
    expect(env).toEqual({});
  });

  test.each([
    ["VAULT_TOKEN", "vault"],
    ["VAULT_NAMESPACE", "vault"],
    ["AWS_SECRET_ACCESS_KEY", "aws"],
    ["AWS_REGION", undefined],
    ["AZURE_CLIENT_SECRET", "azure"],
    ["GOOGLE_APPLICATION_CREDENTIALS", "gcp"],
    ["MY_VAULT_TOKEN", undefined],
    ["GITHUB_TOKEN", "ci-token"],
    ["NODE_AUTH_TOKEN", "ci-token"],
  ])("%s is family %s", (name, family) => {
    expect(credentialFamily(name)).toBe(family);
  });

  test("every name in the table belongs to its own family", () => {
    for (const [family, names] of Object.entries(PROVIDER_CREDENTIALS)) {
      for (const name of names) expect(credentialFamily(name.replace("*", "X"))).toBe(family);
    }
  });
});

describe("childEnv: the probes' allowlist", () => {
  test.each([
    ["PATH", true],
    ["HOME", true],
    ["DOCKER_HOST", true],
    ["DOCKER_CONFIG", true],
    ["DOCKER_CERT_PATH", true],
    ["DOCKER_TLS_VERIFY", true],
    ["BUILDX_CONFIG", true],
    ["BUILDKIT_PROGRESS", true],
    ["DOCKER_CONTEXT", true],
    ["XDG_RUNTIME_DIR", true],
    ["LC_ALL", true],
    ["HTTPS_PROXY", true],
    ["no_proxy", true],
    ["SSH_AUTH_SOCK", true],
    ["TMPDIR", true],
    ["DOCKER_PASSWORD", false],
    ["DOCKER_AUTH_CONFIG", false],
    ["DOCKER_HUB_TOKEN", false],
    ["DOCKER_REGISTRY_SECRET", false],
    ["BUILDX_PRIVATE_KEY", false],
    ["DOCKER_SOMETHING", false],
    ["XDG_SESSION_TOKEN", false],
    ["NPM_TOKEN", false],
    ["GITHUB_TOKEN", false],
    ["SAFEBUILD_DOCKER", false],
    ["FILE_SECRET_COPY", false],
  ])("%s: %s", (name, kept) => {
    expect(name in childEnv("probe", { [name]: "v" }, secretTraces([]))).toBe(kept);
  });

  test("a secret-source variable inside the allowlist is still dropped", () => {
    const t = secretTraces([{ id: "h", kind: "env", target: "DOCKER_HOST", spec: "h=env:DOCKER_HOST" }]);
    expect(childEnv("probe", { DOCKER_HOST: "tcp://x", PATH: "/bin" }, t)).toEqual({ PATH: "/bin" });
  });
});
