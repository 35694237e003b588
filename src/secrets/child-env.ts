import { compileMatcher } from "../match/matcher.js";
import { variantsOf, wipeVariants } from "../match/variants.js";
import type { SecretRef } from "./secret.js";
import type { SecretValue } from "./secret-value.js";

/**
 * Every child safebuild starts gets its environment from here (docs/child-processes.md).
 * - `probe`: `docker version` / `buildx version` / `buildx inspect`, run before secrets resolve:
 *   an allowlist, so a variable holding a not-yet-known secret value cannot reach them.
 * - `build`: the builder (`docker build` / `docker buildx build`) and its credential helpers.
 * - `export`: `docker image inspect` / `docker save` for engines read through the CLI.
 * - `provider`: a `cmd:` source, which needs the operator's own credentials (aws, op, pass).
 * - `push`: `docker push` / `skopeo copy` after a clean scan: the registry's credential helpers, as `build`.
 */
export type ChildPurpose = "probe" | "build" | "export" | "provider" | "push";

/** Kinds of provider credential: what safebuild reads secrets with, and cloud keys. */
export type CredentialFamily = "vault" | "aws" | "gcp" | "azure" | "ci-oidc" | "ci-token";

/** The clouds whose credential helper a build may run (see credential-helpers.ts). */
export type CloudFamily = Extract<CredentialFamily, "aws" | "gcp" | "azure">;

/** Provider credentials by family; a trailing `*` is a prefix. */
export const PROVIDER_CREDENTIALS: Readonly<Record<CredentialFamily, readonly string[]>> = {
  // Every Vault/OpenBao variable: tokens, AppRole ids, unwrap tokens; docker children need none.
  vault: ["VAULT_*", "BAO_*"],
  aws: [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
  ],
  gcp: [
    "GOOGLE_APPLICATION_CREDENTIALS",
    "GOOGLE_CREDENTIALS",
    "GOOGLE_CLOUD_KEYFILE_JSON",
    "GOOGLE_OAUTH_ACCESS_TOKEN",
    "GOOGLE_GHA_CREDS_PATH",
    "CLOUDSDK_AUTH_ACCESS_TOKEN_FILE",
    "CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE",
  ],
  azure: [
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_CLIENT_CERTIFICATE_PASSWORD",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_USERNAME",
    "AZURE_PASSWORD",
    "AZURE_STORAGE_KEY",
    "AZURE_STORAGE_CONNECTION_STRING",
    "ARM_CLIENT_SECRET",
    "ARM_ACCESS_KEY",
  ],
  // GitHub's OIDC request token mints cloud credentials for whoever holds it.
  "ci-oidc": ["ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL"],
  // a CI job's own tokens (push to the repository, publish packages, the runner's cache): a
  // build or a push has no use for them, a provider command (`gh`, `npm`) may
  "ci-token": [
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "GH_ENTERPRISE_TOKEN",
    "GITHUB_ENTERPRISE_TOKEN",
    "ACTIONS_RUNTIME_TOKEN",
    "CI_JOB_TOKEN",
    "CI_JOB_JWT",
    "CI_JOB_JWT_V1",
    "CI_JOB_JWT_V2",
    "CI_REGISTRY_PASSWORD",
    "NPM_TOKEN",
    "NODE_AUTH_TOKEN",
    "BUILDKITE_AGENT_ACCESS_TOKEN",
    "SYSTEM_ACCESSTOKEN",
  ],
};

/**
 * What a probe may see: the settings the docker CLI and buildx read (by exact name: a
 * `DOCKER_TOKEN` or any `DOCKER_*` copy of a file secret is no setting), where things are,
 * locale, proxies, the ssh agent (an `ssh://` engine). Anything else waits until the secrets
 * are known.
 */
const PROBE_NAMES = new Set([
  "DOCKER_HOST",
  "DOCKER_CONTEXT",
  "DOCKER_CONFIG",
  "DOCKER_CERT_PATH",
  "DOCKER_TLS",
  "DOCKER_TLS_VERIFY",
  "DOCKER_API_VERSION",
  "DOCKER_BUILDKIT",
  "DOCKER_CLI_EXPERIMENTAL",
  "DOCKER_CLI_HINTS",
  "DOCKER_CLI_PLUGIN_EXTRA_DIRS",
  "DOCKER_DEFAULT_PLATFORM",
  "DOCKER_HIDE_LEGACY_COMMANDS",
  "BUILDX_BUILDER",
  "BUILDX_CONFIG",
  "BUILDX_EXPERIMENTAL",
  "BUILDKIT_PROGRESS",
  "BUILDKIT_COLORS",
  "XDG_CONFIG_HOME",
  "XDG_RUNTIME_DIR",
  "XDG_DATA_HOME",
  "XDG_CACHE_HOME",
  "XDG_STATE_HOME",
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "TMPDIR",
  "TZ",
  "LANG",
  "LANGUAGE",
  "SSH_AUTH_SOCK",
  "http_proxy",
  "https_proxy",
  "no_proxy",
  "all_proxy",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "ALL_PROXY",
]);

/** Encodings shorter than this are too common to judge another variable by containment. */
export const MIN_CONTAINED_BYTES = 8;

/** What a run knows that no child may inherit. */
export interface SecretTraces {
  /** Variables secrets are read from: `env:` sources, docker-form `env=`, the bare-id rule. */
  readonly sourceNames: ReadonlySet<string>;
  /** Values resolved so far (the secrets' own objects: wiped with them, never copied here). */
  readonly values: SecretValue[];
}

export function secretTraces(refs: readonly SecretRef[], values: readonly SecretValue[] = []): SecretTraces {
  return { sourceNames: new Set(refs.filter((r) => r.kind === "env").map((r) => r.target)), values: [...values] };
}

export interface ChildEnvOptions {
  /** For `build` and `push`: the clouds whose credential helper the docker config names. */
  readonly clouds?: ReadonlySet<CloudFamily>;
}

/** The environment of a child started for `purpose`, from `parent` and what the run knows. */
export function childEnv(purpose: ChildPurpose, parent: NodeJS.ProcessEnv, traces: SecretTraces, options: ChildEnvOptions = {}): Record<string, string> {
  const kept = new Set(keptFamilies(purpose, options.clouds));
  const holding = betrayingMemo(traces, parent);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(parent)) {
    if (value === undefined || traces.sourceNames.has(name)) continue;
    if (purpose === "probe" && !probeMay(name)) continue;
    const family = credentialFamily(name);
    if (family !== undefined && !kept.has(family)) continue;
    if (holding.has(value)) continue;
    out[name] = value;
  }
  return out;
}

function keptFamilies(purpose: ChildPurpose, clouds: ReadonlySet<CloudFamily> | undefined): readonly CredentialFamily[] {
  if (purpose === "provider") return Object.keys(PROVIDER_CREDENTIALS) as CredentialFamily[];
  if (purpose === "build" || purpose === "push") return [...(clouds ?? [])];
  return [];
}

const probeMay = (name: string): boolean => PROBE_NAMES.has(name) || name.startsWith("LC_");

/** The family a variable's name belongs to, if it is a provider credential. */
export function credentialFamily(name: string): CredentialFamily | undefined {
  for (const [family, names] of Object.entries(PROVIDER_CREDENTIALS) as [CredentialFamily, readonly string[]][]) {
    if (names.some((n) => (n.endsWith("*") ? name.startsWith(n.slice(0, -1)) : name === n))) return family;
  }
  return undefined;
}

/** A build asks twice (builder, then export) with the same values: the variants are made once. */
const memo = new WeakMap<SecretTraces, { parent: NodeJS.ProcessEnv; count: number; found: Set<string> }>();

function betrayingMemo(traces: SecretTraces, parent: NodeJS.ProcessEnv): Set<string> {
  const count = traces.values.filter((v) => !v.wiped).length;
  const hit = memo.get(traces);
  if (hit !== undefined && hit.parent === parent && hit.count === count) return hit.found;
  const found = betraying(traces.values, Object.values(parent).filter((v): v is string => v !== undefined));
  memo.set(traces, { parent, count, found });
  return found;
}

/**
 * The values among `candidates` that betray a secret: equal to the value or one of its encodings
 * (any length; also with one trailing newline dropped), or containing one of 8 bytes or more.
 */
function betraying(values: readonly SecretValue[], candidates: readonly string[]): Set<string> {
  const live = values.filter((v) => !v.wiped && v.length > 0);
  const found = new Set<string>();
  if (live.length === 0) return found;
  const variants = live.flatMap((v) => variantsOf("env", v.expose()));
  try {
    const long = variants.filter((v) => v.bytes.length >= MIN_CONTAINED_BYTES);
    const short = variants.filter((v) => v.bytes.length < MIN_CONTAINED_BYTES);
    const matcher = compileMatcher(long.map((v, tag) => ({ bytes: v.bytes, tag })));
    for (const text of new Set(candidates)) {
      const bytes = Buffer.from(text, "utf8");
      const trimmed = bytes.at(-1) === 0x0a ? bytes.subarray(0, bytes.at(-2) === 0x0d ? -2 : -1) : bytes;
      let hit = short.some((v) => v.bytes.equals(bytes) || v.bytes.equals(trimmed));
      if (!hit) matcher.scan(bytes, () => (hit = true));
      if (hit) found.add(text);
    }
    return found;
  } finally {
    wipeVariants(variants);
  }
}
