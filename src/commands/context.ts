import type { Io } from "../io.js";
import type { Masker } from "../redact/masker-api.js";

/** What every command gets from cli.ts. Commands never touch process.* themselves. */
export interface CommandContext {
  readonly io: Io;
  readonly masker: Masker;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Aborted on SIGINT/SIGTERM/SIGHUP; `signalName()` tells which. */
  readonly signal: AbortSignal;
  readonly signalName: () => NodeJS.Signals | undefined;
}

import type { ReportFormat } from "../report/render.js";

export type { ReportFormat };

export interface ReportOptions {
  readonly format: ReportFormat;
  /** `--report FILE` (`scan --output` too); undefined: stderr for text, stdout for json/sarif. */
  readonly report: string | undefined;
}

/** Where the config comes from and what a repository config may do (src/config/, CONTRACT.md Additions). */
export interface ConfigOptions {
  /** `--config FILE`. */
  readonly config: string | undefined;
  /** `--trust-context-config`: the build context's own safebuild.yml may be used. */
  readonly trustContextConfig?: boolean;
  /** `--allow ENTITLEMENT` values, as given. */
  readonly allow?: readonly string[];
}

/** Pattern rules (src/rules/): `--rules FILE` (gitleaks TOML, repeatable), `--no-rules`. */
export interface RuleOptions {
  readonly rulesFiles?: readonly string[];
  /** False with --no-rules. */
  readonly rules?: boolean;
}

export interface BuildOptions extends ReportOptions, ConfigOptions, RuleOptions {
  readonly context: string;
  readonly secrets: readonly string[];
  readonly tags: readonly string[];
  readonly file: string | undefined;
  readonly buildArgs: readonly string[];
  readonly labels: readonly string[];
  readonly target: string | undefined;
  readonly platform: string | undefined;
  readonly noCache: boolean;
  /** `--cache-secrets`: keep cached secret steps after a secret changed (warned), as BuildKit does. */
  readonly cacheSecrets: boolean;
  readonly pull: boolean;
  readonly scan: boolean;
  readonly docker: string | undefined;
  readonly iidfile: string | undefined;
  /** `-o/--output` values: docker exporters (see buildkit/exporter.ts), never a report file. */
  readonly exporters: readonly string[];
  /** `-q` / `--progress quiet`: the build log is held back and shown only if the build fails. */
  readonly quiet: boolean;
  /** docker build flags passed on with docker's meaning (`--ssh`, `--cache-from`, …). */
  readonly builderFlags: readonly string[];
  /** Everything after `--`, verbatim. */
  readonly passthrough: readonly string[];
  /** `--push` (or `build.push: true` in a trusted config): push after a clean scan. */
  readonly push: boolean;
  /** `--metadata-file FILE`: buildx's build metadata, written when the run ends 0. */
  readonly metadataFile: string | undefined;
  /** `--insecure-registry HOST` values: where the pushed digest may be checked over plain HTTP */
  readonly insecureRegistries?: readonly string[];
}

export interface ScanOptions extends ReportOptions, ConfigOptions, RuleOptions {
  readonly image: string;
  readonly secrets: readonly string[];
  readonly platform: string | undefined;
  /** `--file`: the Dockerfile the image was built from; findings then name its lines. */
  readonly file?: string | undefined;
  /** `--target`: the stage it was built to (default the last). */
  readonly target?: string | undefined;
  /** `--insecure-registry HOST` values */
  readonly insecureRegistries?: readonly string[];
}

export interface CheckOptions extends ConfigOptions, RuleOptions {
  readonly format: "text" | "json";
  readonly context: string;
  readonly secrets: readonly string[];
  readonly file: string | undefined;
  /** `--target` and `--build-arg`, as for build: ids and stages can come from ARGs. */
  readonly target?: string | undefined;
  readonly buildArgs?: readonly string[];
}
