import type { PrecheckFinding } from "./finding.js";
import type { SecretSearch } from "./secret-search.js";

/**
 * A build argument holding a secret in any encoding: BuildKit records build arguments in the
 * image history and in provenance, so the value ships whatever the Dockerfile does with it.
 */
export function checkBuildArgs(args: ReadonlyMap<string, string>, search: SecretSearch): PrecheckFinding[] {
  const findings: PrecheckFinding[] = [];
  for (const [name, value] of args) {
    for (const hit of search.inBytes(Buffer.from(value))) {
      findings.push({
        kind: "build-arg",
        severity: "error",
        secret: hit.secret,
        path: name,
        encoding: hit.encoding,
        dockerfile: null,
        message: `--build-arg ${name} holds secret "${hit.secret}" (${hit.encoding}): build arguments are recorded in the image history and provenance; pass it with --secret and RUN --mount=type=secret`,
      });
    }
  }
  return findings;
}
