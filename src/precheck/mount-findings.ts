import type { DockerfileCheck } from "../buildkit/preflight.js";
import type { PrecheckFinding } from "./finding.js";

/**
 * The Dockerfile's secret mount errors as findings, so the build's report lists them with the
 * value checks. No ignore entry accepts one: BuildKit (or the build) would fail on it anyway.
 */
export function mountFindings(check: DockerfileCheck): PrecheckFinding[] {
  const dockerfile = check.dockerfile;
  if (dockerfile === undefined) return [];
  return check.errors.map((e) => ({
    kind: "secret-mount",
    severity: "error",
    secret: e.id ?? null,
    path: dockerfile,
    encoding: null,
    dockerfile: { path: dockerfile, line: e.line },
    message: e.message,
  }));
}
