import type { MaterializedSecret } from "../materialize/secret-dir.js";

/** How a build is driven. Never the legacy builder: it ignores or rejects secret mounts. */
export type BackendKind = "buildx" | "classic-buildkit";

export interface Builder {
  readonly kind: BackendKind;
  /** Absolute path of the docker CLI. */
  readonly docker: string;
  readonly clientVersion: string;
  /** buildx only: whether the builder's driver needs `--load` to put the image in the engine. */
  readonly load: boolean;
  /** buildx 0.8 and later: `--no-cache-filter STAGE` re-runs one stage without its cache. */
  readonly noCacheFilter?: boolean;
}

/** One build, as the backends need it; secrets are only file paths here, never values. */
export interface BuildRequest {
  readonly context: string;
  /** `-f` as the user gave it (docker resolves it the same way); undefined for CONTEXT/Dockerfile. */
  readonly dockerfile: string | undefined;
  readonly tags: readonly string[];
  readonly buildArgs: readonly string[];
  readonly labels: readonly string[];
  readonly target: string | undefined;
  readonly platform: string | undefined;
  readonly noCache: boolean;
  readonly pull: boolean;
  readonly secrets: readonly MaterializedSecret[];
  readonly iidfile: string;
  readonly passthrough: readonly string[];
  /** `-o`, when it names an export into the engine (see exporter.ts). */
  readonly exporter?: EngineExport | undefined;
  /**
   * buildx only (`--push` with a driver that is not docker): the result goes to this OCI layout
   * directory, where the audit reads it and from where it is pushed, instead of `--load`.
   */
  readonly ociLayout?: string | undefined;
  /** docker build flags passed on as typed (`--ssh`, `--cache-from`, `--network`, …). */
  readonly builderFlags?: readonly string[] | undefined;
}

/**
 * A `build -o/--output` that safebuild accepts: one whose result is an image in the engine,
 * where the audit reads it. Everything else (files, tarballs, a registry) would ship a result
 * the audit never saw, so it is refused with the reason.
 */
export interface EngineExport {
  /** As the user typed it. */
  readonly spec: string;
  readonly type: "docker" | "image";
  /** `name=` (comma-separated in docker): tags for the built image. */
  readonly names: readonly string[];
  readonly attrs: Readonly<Record<string, string>>;
}
