import { statSync } from "node:fs";
import path from "node:path";
import { usageError } from "../errors.js";
import { expandPath } from "../secrets/expand-path.js";
import type { SecretRef } from "../secrets/secret.js";
import { vaultPathOf, type Grants } from "./entitlements.js";
import type { ConfigTrust } from "./load-config.js";
import { defaultScanPolicy, type LoadedConfig, type ScanPolicy } from "./loaded-config.js";
import { isWithin, realPathOf } from "./real-path.js";

export interface ConfineOptions {
  readonly trust: ConfigTrust;
  readonly grants: Grants;
  readonly cwd: string;
  readonly home: string;
  /** Ids a `--secret` flag replaces: the file's entry is not used, so it needs nothing. */
  readonly overridden: ReadonlySet<string>;
  /** Whether `build.context` / `build.file` of the file will be used (no flag overrides them). */
  readonly usesBuildContext: boolean;
  readonly usesBuildFile: boolean;
}

export interface DeniedSecret {
  readonly id: string;
  /** The entry as the file gave it (for listings): never to be resolved. */
  readonly ref: SecretRef;
  /** One line: FILE:LINE, the id, what it needs and the `--allow` that grants it. Never a value. */
  readonly message: string;
}

export interface Confined {
  /** The config as it may be used: file paths made real, the scan policy dropped unless granted. */
  readonly config: LoadedConfig;
  /** Secret entries that need an allowance the operator did not give: nothing of theirs may run or be read. */
  readonly denied: readonly DeniedSecret[];
  /** A warning line when the file's scan policy was not applied. */
  readonly policyWarning: string | undefined;
  /** A warning line when the file's `build.push: true` was not applied. */
  readonly pushWarning?: string | undefined;
}

/**
 * A repository config keeps only what the operator's `--allow` grants: `cmd:` sources, the
 * operator's environment and Vault, files outside the config's own folder (by real path, so a
 * symlink in the repository is followed before judging), any change to the scan policy and `push: true`.
 * An operator config is returned as it is. Throws (exit 2) for a build context or Dockerfile
 * the file names outside its folder.
 */
export function confineConfig(config: LoadedConfig, options: ConfineOptions): Confined {
  if (options.trust.kind === "operator") return { config, denied: [], policyWarning: undefined };
  const { grants, trust } = options;
  const folder = realPathOf(path.dirname(config.path));
  const granted = grants.fsRead.map((p) => realPathOf(expandPath(p, options.cwd, options.home)));
  // a checkout's .git is in the config's folder but is not the repository's content: it holds the
  // CI's checkout credentials (actions/checkout's extraheader), so it needs an fs.read of its own
  const inFolder = (real: string): boolean => isWithin(real, folder) && !path.relative(folder, real).split(path.sep).includes(".git");
  const mayRead = (real: string): boolean => inFolder(real) || granted.some((root) => isWithin(real, root));
  const at = (key: string): string => `${config.display}:${config.lines[key] ?? 1}`;
  const needs = (what: string, allow: string): string =>
    `${what}; a config inside the repository being built (${trust.root}) may do that only with --allow ${allow}`;

  /** The real path of a file the provider would open, or a denial naming the `fs.read` that allows it. */
  const fileCheck = (target: string): { real: string } | { need: string } => {
    const lexical = expandPath(target, options.cwd, options.home);
    const real = realPathOf(lexical);
    if (mayRead(real)) return { real };
    const through = real === lexical ? "" : ` (through ${lexical})`;
    return { need: needs(`reads ${real}${through}, outside the config's folder`, `fs.read=${real}`) };
  };

  /** fileCheck for a secret's file: a FIFO or a device would block or never end, so only a regular file (or a missing one, said when read). */
  const secretFileCheck = (target: string): { real: string } | { need: string } => notRegular(realPathOf(expandPath(target, options.cwd, options.home)), trust.root) ?? fileCheck(target);

  const denied: DeniedSecret[] = [];
  const secrets: SecretRef[] = [];
  for (const ref of config.secrets) {
    if (options.overridden.has(ref.id)) {
      secrets.push(ref);
      continue;
    }
    const deny = (need: string): void => void denied.push({ id: ref.id, ref, message: `${at(`secrets.${ref.id}`)}: secret ${ref.id} ${need}` });
    switch (ref.kind) {
      case "cmd":
        if (grants.cmd) secrets.push(ref);
        else deny(needs("runs a command on this host (cmd:)", "cmd"));
        break;
      case "env": {
        if (grants.env !== true && !grants.env.has(ref.target)) {
          deny(needs(`reads the environment variable ${ref.target}`, `env=${ref.target}`));
          break;
        }
        if (ref.fallbackFile === undefined) {
          secrets.push(ref);
          break;
        }
        const checked = secretFileCheck(ref.fallbackFile);
        if ("need" in checked) deny(checked.need);
        else secrets.push({ ...ref, fallbackFile: checked.real });
        break;
      }
      case "vault": {
        const raw = ref.target.slice(0, ref.target.lastIndexOf("#"));
        const vaultPath = vaultPathOf(raw);
        const granted = grants.vault === true || (vaultPath !== undefined && grants.vault.some((p) => vaultPath === p || vaultPath.startsWith(`${p}/`)));
        if (granted) secrets.push(ref);
        else if (vaultPath === undefined) deny(needs(`reads the Vault path ${raw}, which has an empty, . or .. segment`, "vault"));
        else deny(needs(`reads the Vault path ${vaultPath}`, `vault=${vaultPath}`));
        break;
      }
      case "file":
      case "dotenv": {
        const hash = ref.kind === "dotenv" ? ref.target.lastIndexOf("#") : ref.target.length;
        const checked = secretFileCheck(ref.target.slice(0, hash) || ".env");
        if ("need" in checked) deny(checked.need);
        else secrets.push({ ...ref, target: `${checked.real}${ref.target.slice(hash)}` });
        break;
      }
    }
  }

  const build = { ...config.build };
  for (const [key, used] of [
    ["context", options.usesBuildContext],
    ["file", options.usesBuildFile],
  ] as const) {
    const target = config.build[key];
    if (!used || target === undefined) continue;
    const checked = fileCheck(target);
    if ("need" in checked) throw usageError(`${at(`build.${key}`)}: build.${key} ${checked.need}`);
    build[key] = checked.real;
  }

  // its rules only add findings, and run; a rules file must be inside its folder like any file it names
  const rulesFile = config.rules.file === undefined ? undefined : confinedFile(fileCheck(config.rules.file), `${at("scan")}: scan.rulesFile`);
  const rules = { ...config.rules, file: rulesFile, mayLoosen: grants.policy };
  const { scan, policyWarning, pushWarning } = confinePolicy(config, build, grants, at);
  return { config: { ...config, secrets, build, scan, rules }, denied, policyWarning, pushWarning };
}

/** A file the config names, by real path, or exit 2 naming the `fs.read` that would allow it. */
function confinedFile(checked: { real: string } | { need: string }, what: string): string {
  if ("need" in checked) throw usageError(`${what} ${checked.need}`);
  return checked.real;
}

/** The policy and `push` of a repository config: applied only as the operator's grants say. */
function confinePolicy(config: LoadedConfig, build: { push?: boolean | undefined }, grants: ConfineOptions["grants"], at: (key: string) => string) {
  const loosened = grants.policy ? [] : loosenings(config.scan);
  const policyWarning =
    loosened.length === 0
      ? undefined
      : `${at("scan")}: the scan policy of a config inside the repository being built (${loosened.join(", ")}) is not applied: every finding fails the run; add --allow policy to apply it`;
  // Publishing with the operator's registry credentials is theirs to decide, as loosening the policy is.
  const pushWarning =
    build.push && !grants.push ? `${at("build.push")}: push: true of a config inside the repository being built is not applied (nothing is pushed); add --allow push to apply it, or give --push` : undefined;
  if (!grants.push) build.push = false;
  return { scan: grants.policy ? config.scan : defaultScanPolicy, policyWarning, pushWarning };
}

/**
 * What in a policy differs from the strict default. Any difference counts, so a key added to
 * ScanPolicy later is dropped from a repository config until the operator allows it.
 */
function loosenings(scan: ScanPolicy): string[] {
  const out: string[] = [];
  if (scan.failOn !== "any") out.push(`failOn: ${typeof scan.failOn === "string" ? scan.failOn : `[${(scan.failOn as readonly string[]).join(", ")}]`}`);
  if (scan.ignore.length > 0) out.push(`${scan.ignore.length} ignore rule${scan.ignore.length === 1 ? "" : "s"}`);
  if (scan.notSearched !== defaultScanPolicy.notSearched) out.push(`notSearched: ${scan.notSearched}`);
  const { failOn: _failOn, ignore: _ignore, notSearched: _notSearched, ...rest } = scan;
  const { failOn: _f, ignore: _i, notSearched: _n, ...strict } = defaultScanPolicy;
  if (out.length === 0 && JSON.stringify(rest) !== JSON.stringify(strict)) out.push("its scan settings");
  return out;
}

/** A denial when something other than a regular file is at `real` (looked at, never opened); undefined for a file or nothing. */
function notRegular(real: string, root: string): { need: string } | undefined {
  let kind: string;
  try {
    const info = statSync(real);
    if (info.isFile()) return undefined;
    kind = info.isDirectory() ? "directory" : info.isFIFO() ? "FIFO" : info.isSocket() ? "socket" : "device";
  } catch {
    return undefined;
  }
  return { need: `reads ${real}, a ${kind}: a config inside the repository being built (${root}) may name regular files only` };
}
