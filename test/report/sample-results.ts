import type { Finding, FindingWhere, ScanResult } from "../../src/scan/findings/finding.js";
import type { ReportInput } from "../../src/report/report-input.js";

export const DIGEST_A = `sha256:${"a1".repeat(32)}`;
export const DIGEST_B = `sha256:${"b2".repeat(32)}`;
export const IMAGE_ID = `sha256:${"cc".repeat(32)}`;

export const DIFF_ID_A = `sha256:${"d1".repeat(32)}`;
const layer2 = { index: 2, digest: DIGEST_A, diffId: DIFF_ID_A, createdBy: "RUN /bin/sh -c cp /run/secrets/npmrc /app/.npmrc" };
const layer1 = { index: 1, digest: DIGEST_B, createdBy: null };

/** One finding of every `where` kind, the way a scanner would report each. */
export const findingOf: Record<FindingWhere, Finding> = {
  file: { secret: "npmrc", rule: null, where: "file", layer: layer2, path: "app/.npmrc", encoding: "raw", deleted: false },
  path: { secret: "token", rule: null, where: "path", layer: layer1, path: "tmp/dir/x", encoding: "hex", deleted: true },
  linkname: { secret: "token", rule: null, where: "linkname", layer: layer2, path: "etc/link", encoding: "base64", deleted: false },
  env: { secret: "token", rule: null, where: "env", layer: null, path: "Env[2]", encoding: "raw", deleted: false },
  label: { secret: "npmrc", rule: null, where: "label", layer: null, path: "Labels.token", encoding: "base64url", deleted: false },
  history: { secret: "token", rule: null, where: "history", layer: null, path: "history[3].created_by", encoding: "url", deleted: false },
  config: { secret: "npmrc", rule: null, where: "config", layer: null, path: "Cmd[1]", encoding: "json", deleted: false },
  annotation: { secret: "token", rule: null, where: "annotation", layer: null, path: "org.example.token", encoding: "raw", deleted: false, platform: "linux/arm64" },
  attestation: {
    secret: "token",
    rule: null,
    where: "attestation",
    layer: null,
    path: "/predicate/invocation/parameters/args/build-arg:TOKEN",
    encoding: "raw",
    deleted: false,
    platform: "linux/amd64",
    predicateType: "https://slsa.dev/provenance/v0.2",
  },
  manifest: { secret: "token", rule: null, where: "manifest", layer: null, path: `blobs/sha256/${"e5".repeat(32)}#/subject/urls/0`, encoding: "url", deleted: false },
};

export const allWheres = Object.keys(findingOf) as FindingWhere[];

/** A cosign `.att` attached to the image outside it (issue 14). */
export const REFERRER = { manifest: `sha256:${"f6".repeat(32)}`, subject: `sha256:${"a7".repeat(32)}`, via: `tag sha256-${"a7".repeat(32)}.att` };

export function resultWith(findings: readonly Finding[], overrides: Partial<ScanResult> = {}): ScanResult {
  return {
    image: { ref: "app:1", id: IMAGE_ID },
    findings,
    notSearched: [],
    stats: { layers: 3, files: 120, bytes: 1_048_576, durationMs: 812 },
    warnings: [],
    ...overrides,
  };
}

export function inputWith(findings: readonly Finding[], overrides: Partial<ReportInput> = {}): ReportInput {
  return {
    result: resultWith(findings),
    secrets: [
      { id: "npmrc", source: "file" },
      { id: "token", source: "env" },
    ],
    toolVersion: "9.9.9",
    ...overrides,
  };
}
