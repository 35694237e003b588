import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { describeFsError, isSafebuildError, usageError } from "../errors.js";
import type { LoadedConfig } from "./loaded-config.js";
import { isWithin, realPathOf } from "./real-path.js";
import { repositoryRoots, workTreeOf } from "./repository-root.js";

// The YAML parser and the validator cost more to load than a whole cached build takes: they
// are imported only when a file is there to parse.
const parse = async (text: string, file: string, display: string): Promise<LoadedConfig> =>
  (await import("./parse-config.js")).parseConfig(text, file, display);

/** Looked for, in this order, in a folder. */
export const CONFIG_NAMES = ["safebuild.yml", "safebuild.yaml"] as const;

export interface LoadConfigOptions {
  /** `--config PATH`: must exist. */
  readonly explicit?: string | undefined;
  /** `--trust-context-config`: the build context's own file may be used (as a repository config). */
  readonly trustContext?: boolean | undefined;
  /** The build context (relative to `cwd`), or undefined when it is not a local folder (a URL). */
  readonly contextDir: string | undefined;
  readonly cwd: string;
}

/**
 * `operator`: the file lies outside the repository being built, so whoever runs safebuild put
 * it there; its secret sources and policy are taken like flags. `repository`: the file is
 * part of what is being built (a pull request can write it): used, but its powers need `--allow`.
 */
export type ConfigTrust = { readonly kind: "operator" } | { readonly kind: "repository"; readonly root: string };

export interface ConfigChoice {
  /** Undefined when there is none (no flag, no file found, or only an ignored one). */
  readonly config: LoadedConfig | undefined;
  readonly trust: ConfigTrust;
  /** One line each, for stderr: which file was used when another could have been, or why one was not. */
  readonly notes: readonly string[];
}

/** A config is a few hundred bytes; anything this large is not one. */
const MAX_CONFIG_BYTES = 1024 * 1024;

interface Found {
  readonly file: string;
}

/**
 * The config in effect: `--config FILE`, else `safebuild.yml` (or `.yaml`) in the current
 * directory. The build context's own file is used only with `--trust-context-config`; found
 * and not used, one note says so.
 */
export async function loadConfig(options: LoadConfigOptions): Promise<ConfigChoice> {
  const { cwd } = options;
  if (options.explicit !== undefined && options.trustContext === true) {
    throw usageError("--config and --trust-context-config: give one (--config CONTEXT/safebuild.yml names the context's file)");
  }
  const contextDir = options.contextDir === undefined ? undefined : path.resolve(cwd, options.contextDir);
  const inContext = contextDir === undefined ? undefined : await findIn(contextDir);
  const inCwd = await findIn(cwd);
  const show = (found: Found): string => displayOf(found.file, cwd);

  let chosen: Found | undefined;
  const notes: string[] = [];
  if (options.explicit !== undefined) {
    const file = path.resolve(cwd, options.explicit);
    if (!(await exists(file))) throw usageError(`--config ${options.explicit}: no such file`);
    const given: Found = { file };
    chosen = given;
    const others = unique([inContext, inCwd]).filter((f) => !sameFile(f, given));
    if (others.length > 0) notes.push(`config: using --config ${options.explicit}; not reading ${others.map(show).join(" or ")}`);
  } else if (options.trustContext === true && inContext !== undefined) {
    chosen = inContext;
    if (inCwd !== undefined && !sameFile(inCwd, inContext)) notes.push(`config: using ${show(inContext)} (--trust-context-config); not reading ${show(inCwd)}`);
  } else if (inCwd !== undefined) {
    chosen = inCwd;
    if (inContext !== undefined && !sameFile(inContext, inCwd)) {
      notes.push(`config: using ${show(inCwd)}; ignored ${show(inContext)} in the build context (to use it instead: --config ${show(inContext)})`);
    }
  } else if (inContext !== undefined) {
    notes.push(
      `config: ignored ${show(inContext)}: a config in the build context is not used unless you opt in (--trust-context-config, or --config ${show(inContext)})`,
    );
  }
  if (chosen === undefined) return { config: undefined, trust: { kind: "operator" }, notes };
  const config = await parse(await readText(chosen.file), chosen.file, show(chosen));
  return { config, trust: trustOf(chosen.file, contextDir, cwd), notes };
}

/**
 * Repository when the file, or the place it was found (a symlink pointing out of the
 * repository is still the repository's choice), is inside what the repository being built
 * controls: the work tree around the context, typed or real (a submodule's superproject too);
 * with no checkout around the context, any folder from the context up to the file's (a source
 * tarball's top); for a context that is not a folder (a URL), the checkout safebuild runs in.
 */
function trustOf(file: string, contextDir: string | undefined, cwd: string): ConfigTrust {
  const folders = [path.resolve(path.dirname(file)), realPathOf(path.dirname(file))];
  const places = [path.join(folders[1]!, path.basename(file)), realPathOf(file), ...folders];
  const inside = (root: string): boolean => places.some((place) => isWithin(place, root));
  let roots: string[];
  if (contextDir === undefined) {
    const tree = workTreeOf(cwd) ?? workTreeOf(realPathOf(cwd));
    roots = tree === undefined ? [] : [realPathOf(tree)];
  } else {
    roots = repositoryRoots(contextDir);
    const contexts = [path.resolve(contextDir), realPathOf(contextDir)];
    // no checkout around the context: the file's folder above it is part of the same source tree
    for (const folder of folders) {
      if (contexts.some((context) => isWithin(context, folder) && workTreeOf(context) === undefined)) roots.push(folder);
    }
  }
  const root = roots.find(inside);
  return root === undefined ? { kind: "operator" } : { kind: "repository", root };
}

/** Only the file in use is ever opened: an ignored one may be a symlink to /dev/zero or a FIFO. */
async function findIn(dir: string): Promise<Found | undefined> {
  for (const name of CONFIG_NAMES) {
    const file = path.join(dir, name);
    if (await exists(file)) return { file };
  }
  return undefined;
}

const sameFile = (a: Found, b: Found): boolean => realPathOf(a.file) === realPathOf(b.file);

function unique(found: readonly (Found | undefined)[]): Found[] {
  const out: Found[] = [];
  for (const f of found) if (f !== undefined && !out.some((o) => sameFile(o, f))) out.push(f);
  return out;
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (error) {
    if (error && typeof error === "object" && "code" in error && (error.code === "ENOENT" || error.code === "ENOTDIR")) return false;
    throw usageError(`${file}: ${describeFsError(error)}`);
  }
}

async function readText(file: string): Promise<string> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw usageError(`${file}: not a regular file`);
    if (info.size > MAX_CONFIG_BYTES) throw usageError(`${file}: larger than 1 MiB, not a safebuild.yml`);
    return await readFile(file, "utf8");
  } catch (error) {
    if (isSafebuildError(error)) throw error;
    throw usageError(`${file}: ${describeFsError(error)}`);
  }
}

const displayOf = (file: string, cwd: string): string => {
  const relative = path.relative(cwd, file);
  return relative !== "" && !relative.startsWith("..") && relative.length < file.length ? relative : file;
};
