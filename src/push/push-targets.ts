import { usageError } from "../errors.js";

/**
 * The registry host a tag names, read as docker reads a reference: the part before the first
 * `/` is a host when it has a `.` or a `:` or is `localhost`; otherwise the name is Docker Hub's.
 */
export function registryHostOf(tag: string): string | undefined {
  const slash = tag.indexOf("/");
  if (slash <= 0) return undefined;
  const first = tag.slice(0, slash);
  return first.includes(".") || first.includes(":") || first === "localhost" ? first : undefined;
}

export interface PushTargets {
  /** Tags that name a registry: each is pushed. */
  readonly pushed: readonly string[];
  /** Tags that do not: they stay in the engine only. */
  readonly local: readonly string[];
}

/**
 * Which tags `--push` publishes. A tag with no registry in it is not pushed (docker would send it
 * to Docker Hub, rarely what a CI job meant: write `docker.io/…` for that); with none left, exit 2.
 */
export function pushTargets(tags: readonly string[]): PushTargets {
  const pushed = tags.filter((t) => registryHostOf(t) !== undefined);
  if (pushed.length === 0) {
    const given = tags.length === 0 ? "no -t tag is given" : `no -t tag names a registry (${tags.join(", ")})`;
    throw usageError(`--push: ${given}; tag the image HOST[:PORT]/REPO[:TAG], e.g. registry.example.com/app:1 (docker.io/USER/APP for Docker Hub)`);
  }
  return { pushed, local: tags.filter((t) => !pushed.includes(t)) };
}

/** Loopback registries are the ones docker talks plain HTTP to without being told (127.0.0.0/8, ::1, localhost). */
export function isLoopbackRegistry(host: string): boolean {
  const name = host.startsWith("[") ? host.slice(1, host.indexOf("]")) : host.replace(/:\d+$/, "");
  return name === "localhost" || name === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}
