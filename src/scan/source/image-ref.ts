import { statSync } from "node:fs";
import { resolve } from "node:path";

// What an image reference names, kept apart from the sources that open it: the scan command
// decides whether to ask the engine for an export before it loads the scanner.

export type SourceKind = "engine" | "path" | "archive" | "layout" | "registry" | "podman";

/** `docker:` forces the engine; the others force a file or directory. Without a prefix: a path if one exists. */
const prefixes: ReadonlyArray<readonly [string, SourceKind]> = [
  ["docker-archive:", "archive"],
  ["oci-archive:", "archive"],
  ["docker:", "engine"],
  ["oci:", "layout"],
  // containers/image's `dir:` transport (skopeo, podman): a directory, told apart by its `version` file
  ["dir:", "layout"],
  ["registry:", "registry"],
  // podman's local storage, read through `podman save`
  ["podman:", "podman"],
];

export interface SourceTarget {
  readonly kind: SourceKind;
  readonly target: string;
}

export function classifyRef(ref: string): SourceTarget {
  for (const [prefix, kind] of prefixes) if (ref.startsWith(prefix)) return { kind, target: ref.slice(prefix.length) };
  return { kind: "path", target: ref };
}

/** Engine references never start like a path or end like a tarball; such a ref that does not exist is a missing file. */
export const looksLikePath = (ref: string): boolean => /^(\.{0,2}\/|~)/.test(ref) || /\.(tar|tgz|tar\.gz|tar\.zst)$/i.test(ref);

/**
 * The engine reference `ref` names, decided now as openSource decides later (a missing path
 * that does not look like one is an image); undefined for files and layouts.
 */
export function engineTarget(ref: string, cwd: string): string | undefined {
  const { kind, target } = classifyRef(ref);
  if (target === "" || kind === "archive" || kind === "layout" || kind === "registry" || kind === "podman") return undefined;
  if (kind === "engine") return target;
  if (looksLikePath(target)) return undefined;
  try {
    statSync(resolve(cwd, target));
    return undefined;
  } catch {
    return target;
  }
}

