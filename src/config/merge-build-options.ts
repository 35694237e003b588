import type { LoadedConfig } from "./loaded-config.js";

/**
 * Flags over the file. BuildOptions cannot tell a flag left at its default from one given, so
 * an empty list, an undefined value and the default context "." count as "not given".
 * `--build-arg` and `--label` merge with the file's by key, the flag winning per key.
 */
/** The build flags a config file also sets (the command's options are a superset). */
export interface MergeableBuildOptions {
  readonly context: string;
  readonly file: string | undefined;
  readonly tags: readonly string[];
  readonly buildArgs: readonly string[];
  readonly labels: readonly string[];
  readonly target: string | undefined;
  readonly platform: string | undefined;
  readonly push: boolean;
}

export function mergeBuildOptions<T extends MergeableBuildOptions>(cli: T, config: LoadedConfig | undefined): T {
  if (config === undefined) return cli;
  const defaults = config.build;
  return {
    ...cli,
    context: cli.context === "." && defaults.context !== undefined ? defaults.context : cli.context,
    file: cli.file ?? defaults.file,
    tags: cli.tags.length > 0 ? cli.tags : defaults.tags,
    buildArgs: mergeKeyValues(defaults.buildArgs, cli.buildArgs),
    labels: mergeKeyValues(defaults.labels, cli.labels),
    target: cli.target ?? defaults.target,
    platform: cli.platform ?? defaults.platform,
    push: cli.push || defaults.push,
  };
}

/** `K=V` (or a bare `K`, which docker reads from the environment) entries, the flag's per key. */
export function mergeKeyValues(fromFile: Readonly<Record<string, string>>, fromFlags: readonly string[]): string[] {
  const keyOf = (entry: string): string => entry.split("=", 1)[0] ?? entry;
  const flagged = new Set(fromFlags.map(keyOf));
  return [...Object.entries(fromFile).filter(([k]) => !flagged.has(k)).map(([k, v]) => `${k}=${v}`), ...fromFlags];
}
