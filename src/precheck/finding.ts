/**
 * What the checks before a build found (docs/dockerfile-checks.md). Like a scan finding it names
 * a secret's id and where, never a value. `error` stops the build (exit 2) unless an ignore
 * entry of safebuild.yml accepts it; `warning` and `note` are printed only.
 */
export type PrecheckKind = "secret-mount" | "build-arg" | "dockerfile-value" | "dockerfile-setting" | "context-file" | "arg-name";
export type PrecheckSeverity = "error" | "warning" | "note";

export interface PrecheckFinding {
  readonly kind: PrecheckKind;
  readonly severity: PrecheckSeverity;
  /** The secret's id; null for a finding by name (a well-known secret file, an ARG named like one). */
  readonly secret: string | null;
  /** The build argument's name, the context file's path (relative, `/`-separated), or the Dockerfile. */
  readonly path: string;
  /** The encoding the value was found in, when found by value. */
  readonly encoding: string | null;
  /** The Dockerfile line it concerns (the ARG/ENV/LABEL, the COPY/ADD taking the file). */
  readonly dockerfile: { readonly path: string; readonly line: number } | null;
  /** One line for people, naming ids, paths and lines only. */
  readonly message: string;
}
