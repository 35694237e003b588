import { printable } from "../report/printable.js";
import os from "node:os";
import { isRemoteContext } from "../buildkit/dockerfile-file.js";
import { confineConfig, type DeniedSecret } from "../config/confine-config.js";
import { parseGrants } from "../config/entitlements.js";
import { loadConfig } from "../config/load-config.js";
import type { LoadedConfig } from "../config/loaded-config.js";
import { mergeSecretSpecs } from "../config/merge-secret-specs.js";
import { usageError } from "../errors.js";
import type { SecretRef } from "../secrets/secret.js";
import type { CommandContext, ConfigOptions } from "./context.js";

export interface RunConfigInput extends ConfigOptions {
  /** The build context as given; `scan` passes "." (its config's folder is what it trusts least). */
  readonly context: string;
  /** `--secret` flags. */
  readonly secrets: readonly string[];
  /** Whether the file's `build.context` / `build.file` would be used (no flag overrides them). */
  readonly usesBuildContext: boolean;
  readonly usesBuildFile: boolean;
}

export interface RunConfig {
  /** The file as it may be used (a repository config confined to what `--allow` grants). */
  readonly config: LoadedConfig | undefined;
  /** The file's secrets, then the flags' (see mergeSecretSpecs), without the denied ones. */
  readonly refs: SecretRef[];
  /** The file's secrets that need an `--allow` not given: never resolved. */
  readonly denied: readonly DeniedSecret[];
}

/** Which config applies, what of it may be used, and the secrets of the run; notes go to stderr. */
export async function runConfig(input: RunConfigInput, ctx: CommandContext): Promise<RunConfig> {
  const grants = parseGrants(input.allow ?? []);
  const choice = await loadConfig({
    explicit: input.config,
    trustContext: input.trustContextConfig,
    contextDir: isRemoteContext(input.context) ? undefined : input.context,
    cwd: ctx.cwd,
  });
  for (const note of choice.notes) ctx.io.info(note);
  if (choice.config === undefined) return { config: undefined, refs: mergeSecretSpecs(input.secrets, undefined), denied: [] };
  // parsed first: a bad flag is reported as such even when the file's entry would be denied
  const flagIds = new Set(mergeSecretSpecs(input.secrets, undefined).map((ref) => ref.id));
  const confined = confineConfig(choice.config, {
    trust: choice.trust,
    grants,
    cwd: ctx.cwd,
    home: ctx.env["HOME"] ?? os.homedir(),
    overridden: flagIds,
    usesBuildContext: input.usesBuildContext,
    usesBuildFile: input.usesBuildFile,
  });
  if (confined.policyWarning !== undefined) ctx.io.warn(confined.policyWarning);
  if (confined.pushWarning !== undefined) ctx.io.warn(confined.pushWarning);
  return { config: confined.config, refs: mergeSecretSpecs(input.secrets, confined.config), denied: confined.denied };
}

/** build and scan stop here when a secret of the file needs an allowance: nothing has run or been read. */
export function throwIfDenied(denied: readonly DeniedSecret[]): void {
  if (denied.length === 0) return;
  // one line each; cli.ts puts "safebuild: " before the first
  // the repository's paths are in these lines: no newline or escape sequence of theirs reaches a terminal
  throw usageError(denied.map((d) => printable(d.message)).join("\nsafebuild: "));
}
