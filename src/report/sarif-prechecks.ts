import { createHash } from "node:crypto";
import path from "node:path";
import type { AcceptedFinding } from "../precheck/accept.js";
import type { PrecheckFinding, PrecheckKind } from "../precheck/finding.js";
import type { PrecheckReport } from "./report-input.js";

const FINGERPRINT_KEY = "safebuildPrecheck/v1";

interface PrecheckRule {
  readonly id: string;
  readonly name: string;
  readonly short: string;
  readonly help: string;
  readonly level: "error" | "warning" | "note";
  readonly severity: string;
}

/** One rule per check before the build (docs/dockerfile-checks.md), at the level the check gives. */
const rules: Record<PrecheckKind, PrecheckRule> = {
  "secret-mount": {
    id: "secret-mount",
    name: "SecretMountRefused",
    short: "A RUN --mount=type=secret that BuildKit refuses, or that no --secret matches",
    help: "Fix the mount's options as BuildKit's reason in the message says, or give the secret it names with --secret.",
    level: "error",
    severity: "7.0",
  },
  "build-arg": {
    id: "secret-in-build-arg",
    name: "SecretInBuildArg",
    short: "A build argument holds a build secret",
    help: "Build arguments are recorded in the image history and in provenance. Pass the secret with --secret and read it in `RUN --mount=type=secret`.",
    level: "error",
    severity: "9.0",
  },
  "dockerfile-value": {
    id: "secret-in-dockerfile",
    name: "SecretInDockerfile",
    short: "A Dockerfile instruction (an ARG or ENV default, a LABEL, a RUN line) holds a build secret",
    help: "The value is in the repository and in the image's config or history. Remove it; pass the secret with --secret and `RUN --mount=type=secret`.",
    level: "error",
    severity: "9.0",
  },
  "dockerfile-setting": {
    id: "secret-setting-in-dockerfile",
    name: "SecretSettingInDockerfile",
    short: "An ENV, an ARG default or a LABEL assigns a literal value to a name that says it is a secret",
    help: "The value is in the repository and in the image's config or history, where anyone who pulls the image reads it. Remove it; pass the secret with --secret and `RUN --mount=type=secret`, or set it when the container runs.",
    level: "error",
    severity: "8.0",
  },
  "context-file": {
    id: "secret-in-build-context",
    name: "SecretInBuildContext",
    short: "A build context file holds a build secret or is a well-known secret file",
    help: "The builder receives every file of the context that .dockerignore does not exclude, and a COPY or ADD may take it into the image. List it in .dockerignore.",
    level: "warning",
    severity: "7.0",
  },
  "arg-name": {
    id: "secret-like-arg-name",
    name: "SecretLikeArgName",
    short: "An ARG is named like a secret",
    help: "Build arguments are recorded in the image. A secret belongs in `RUN --mount=type=secret`; ignore this note if the ARG holds none.",
    level: "note",
    severity: "2.0",
  },
};

const kinds = Object.keys(rules) as PrecheckKind[];

/** The rule descriptors, appended after the image's rules (their indexes start at `base`). */
export const precheckRuleDescriptors = (): Record<string, unknown>[] =>
  kinds.map((kind) => {
    const r = rules[kind];
    return {
      id: r.id,
      name: r.name,
      shortDescription: { text: r.short },
      fullDescription: { text: `${r.short}. ${r.help}` },
      help: { text: r.help, markdown: r.help },
      defaultConfiguration: { level: r.level },
      properties: { tags: ["security", "secret", "dockerfile"], precision: r.level === "note" ? "low" : "very-high", "security-severity": r.severity },
    };
  });

/**
 * A check's finding as a result, at the Dockerfile line when it has one, else at the context
 * file, else (a build argument) at the Dockerfile. Accepted ones are suppressed results.
 */
export function precheckResults(report: PrecheckReport, base: number, dockerfileUri: string, uriOf: (p: string) => string): Record<string, unknown>[] {
  const one = (f: PrecheckFinding, accepted: AcceptedFinding | undefined): Record<string, unknown> => {
    const rule = rules[f.kind];
    const uri = f.dockerfile !== null ? uriOf(f.dockerfile.path) : f.kind === "context-file" ? uriOf(path.posix.join(report.context ?? "", f.path)) : dockerfileUri;
    return {
      ruleId: rule.id,
      ruleIndex: base + kinds.indexOf(f.kind),
      level: f.severity,
      message: { text: f.message },
      locations: [{ physicalLocation: { artifactLocation: { uri }, region: { startLine: f.dockerfile?.line ?? 1 } } }],
      partialFingerprints: { [FINGERPRINT_KEY]: fingerprint(f) },
      ...(accepted === undefined ? {} : { suppressions: [{ kind: "external", status: "accepted", justification: accepted.reason }] }),
      properties: { kind: f.kind, severity: f.severity, secret: f.secret, path: f.path, encoding: f.encoding, dockerfile: f.dockerfile },
    };
  };
  return [...report.findings.map((f) => one(f, undefined)), ...report.accepted.map((a) => one(a, a))];
}

/** Stable across runs; a hash of ids, paths and lines only. */
function fingerprint(f: PrecheckFinding): string {
  const parts = [f.kind, f.secret ?? "", f.path, f.encoding ?? "", f.dockerfile === null ? "" : `${f.dockerfile.path}:${f.dockerfile.line}`];
  return createHash("sha256").update(parts.join("\u0000")).digest("hex");
}
