import { usageError } from "../errors.js";

/** A registry image reference, normalised as the docker CLI does (distribution/reference). */
export interface RegistryRef {
  /** `host[:port]` the API is reached at (Docker Hub: `registry-1.docker.io`) */
  readonly registry: string;
  /** the repository path (`library/alpine` for Docker Hub's official images) */
  readonly repository: string;
  /** what is asked of `/v2/REPO/manifests/…`: the digest when given, else the tag (default `latest`) */
  readonly reference: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
  /** the host the docker config and auth files key this registry's credentials by */
  readonly authKeys: readonly string[];
}

export const DOCKER_HUB = "registry-1.docker.io";
const HUB_NAMES = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);
/** docker's key for Docker Hub in config.json `auths` and the key it asks credential helpers for. */
export const HUB_AUTH_KEY = "https://index.docker.io/v1/";

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const SHA256 = /^sha256:[a-f0-9]{64}$/;
const NAME_MAX = 255;

/**
 * `HOST[:PORT]/REPO[:TAG|@DIGEST]` (or a Docker Hub short name: `alpine`, `user/app:1`). The
 * first component names a registry when it holds a `.` or `:` or is `localhost`, as docker reads it.
 */
export function parseRegistryRef(text: string): RegistryRef {
  const bad = (why: string) => usageError(`registry:${text}: not an image reference (${why}; expected registry:HOST[:PORT]/REPO[:TAG|@sha256:DIGEST])`);
  if (text === "") throw bad("empty");
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (digest.startsWith("sha256:") && !SHA256.test(digest)) throw bad("a sha256 digest is 64 lowercase hex digits");
    if (!DIGEST.test(digest)) throw bad("malformed digest");
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad("malformed tag");
  }
  const parts = rest.split("/");
  let registry = DOCKER_HUB;
  const first = parts[0] ?? "";
  if (parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost")) {
    if (!DOMAIN.test(first)) throw bad("malformed registry host");
    parts.shift();
    registry = HUB_NAMES.has(first.toLowerCase()) ? DOCKER_HUB : first;
  }
  if (parts.length === 0 || parts.some((p) => !COMPONENT.test(p))) {
    throw bad(parts.some((p) => p !== p.toLowerCase()) ? "repository names are lowercase" : "malformed repository name");
  }
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift("library");
  const repository = parts.join("/");
  if (repository.length > NAME_MAX) throw bad(`repository name longer than ${NAME_MAX} characters`);
  if (tag === undefined && digest === undefined) tag = "latest";
  return {
    registry,
    repository,
    reference: digest ?? tag ?? "latest",
    tag,
    digest,
    authKeys: registry === DOCKER_HUB ? [HUB_AUTH_KEY, "index.docker.io", "docker.io", DOCKER_HUB] : [registry],
  };
}

/** `host/repo:tag` or `host/repo@digest`, for messages. */
export const formatRef = (ref: RegistryRef): string => `${ref.registry}/${ref.repository}${ref.digest ? `@${ref.digest}` : `:${ref.tag ?? "latest"}`}`;
