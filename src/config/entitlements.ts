import { usageError } from "../errors.js";

/**
 * What the operator lets a repository config do (`--allow`, repeatable, in the spirit of
 * `docker buildx bake --allow`). An operator config needs none of it.
 */
export interface Grants {
  /** `cmd`: its `cmd:` sources may run. */
  readonly cmd: boolean;
  /** `env` (every variable) or `env=VAR` (exactly these names). */
  readonly env: true | ReadonlySet<string>;
  /** `vault` (every path) or `vault=PREFIX` (these paths and below, by whole segments). */
  readonly vault: true | readonly string[];
  /** `fs.read=PATH`: as given (`~` and relative paths are expanded where they are used). */
  readonly fsRead: readonly string[];
  /** `policy`: its scan policy (failOn, ignore, …) applies. */
  readonly policy: boolean;
  /** `push`: its `build.push: true` applies (the operator's registry credentials publish the image). */
  readonly push: boolean;
}

export const noGrants: Grants = { cmd: false, env: new Set(), vault: [], fsRead: [], policy: false, push: false };

const KNOWN = "cmd, env, env=VAR, vault, vault=PATH, fs.read=PATH, policy, push";

export function parseGrants(values: readonly string[]): Grants {
  let cmd = false;
  let policy = false;
  let push = false;
  let env: true | Set<string> = new Set();
  let vault: true | string[] = [];
  const fsRead: string[] = [];
  for (const value of values) {
    const eq = value.indexOf("=");
    const key = eq === -1 ? value : value.slice(0, eq);
    const arg = eq === -1 ? undefined : value.slice(eq + 1);
    const bad = (why: string) => usageError(`--allow ${value}: ${why}`);
    if (key === "cmd" && arg === undefined) cmd = true;
    else if (key === "policy" && arg === undefined) policy = true;
    else if (key === "push" && arg === undefined) push = true;
    else if (key === "env" && arg === undefined) env = true;
    else if (key === "env") {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(arg ?? "")) throw bad("expected env=VAR, a variable name");
      if (env !== true) env.add(arg ?? "");
    } else if (key === "vault" && arg === undefined) vault = true;
    else if (key === "vault") {
      const prefix = vaultPathOf(arg ?? "");
      if (prefix === undefined) throw bad("expected vault=PATH, a Vault path without empty, . or .. segments");
      if (vault !== true) vault.push(prefix);
    } else if (key === "fs.read") {
      if (arg === undefined || arg === "") throw bad("expected fs.read=PATH");
      fsRead.push(arg);
    } else throw bad(`unknown entitlement (known: ${KNOWN})`);
  }
  return { cmd, env, vault, fsRead, policy, push };
}

/**
 * A Vault path as the reader sends it (no leading or trailing slash), or undefined when a
 * segment is empty, `.` or `..`: the URL would be normalized to another path than the one a
 * prefix was checked against.
 */
export function vaultPathOf(raw: string): string | undefined {
  const trimmed = raw.replace(/^\/+|\/+$/g, "");
  const segments = trimmed.split("/");
  if (trimmed === "" || segments.some((s) => s === "" || s === "." || s === "..")) return undefined;
  return trimmed;
}
