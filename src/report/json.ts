import type { Finding, LayerRef, NotSearched } from "../scan/findings/finding.js";
import type { Writer } from "./report-input.js";
import { ownJsonKeys } from "../redact/own-words.js";
import type { PrecheckFinding } from "../precheck/finding.js";

/**
 * CONTRACT.md "JSON report". Objects are rebuilt field by field so the key order is fixed
 * and nothing a scanner attaches to its findings slips into the output.
 */
export const writeJson: Writer = (input) => {
  const { result } = input;
  const report = {
    schemaVersion: 1,
    tool: { name: "safebuild", version: input.toolVersion },
    // a build refused before it ran has no image, and no tag when none was given
    image: { ref: result.image.ref === "" ? null : result.image.ref, id: result.image.id },
    secrets: input.secrets.map((s) => ({ id: s.id, source: s.source })),
    findings: result.findings.map(findingJson),
    notSearched: result.notSearched.map(notSearchedJson),
    stats: {
      layers: result.stats.layers,
      files: result.stats.files,
      bytes: result.stats.bytes,
      durationMs: result.stats.durationMs,
    },
    ignored: (input.ignored ?? []).map((i) => ({ ...findingJson(i), reason: i.reason })),
    warnings: [...result.warnings],
    ...(input.prechecks === undefined
      ? {}
      : {
          prechecks: {
            passed: input.prechecks.passed,
            findings: input.prechecks.findings.map(precheckJson),
            accepted: input.prechecks.accepted.map((a) => ({ ...precheckJson(a), reason: a.reason })),
          },
        }),
  };
  ownJsonKeys(report);
  return `${JSON.stringify(report, null, 2)}\n`;
};

/** One shape for a layer everywhere: Trivy's `digest` (the blob) and `diffId` (the tar) apart. */
const layerJson = (l: LayerRef): Record<string, unknown> => ({ index: l.index, digest: l.digest, diffId: l.diffId ?? null, createdBy: l.createdBy });

export function notSearchedJson(n: NotSearched): Record<string, unknown> {
  return {
    path: n.path,
    layer: n.layer === null ? null : layerJson(n.layer),
    reason: n.reason,
    ...(n.scope === undefined ? {} : { scope: n.scope }),
    ...(n.secret === undefined ? {} : { secret: n.secret }),
    ...(n.image === undefined ? {} : { image: n.image }),
  };
}

function findingJson(f: Finding): Record<string, unknown> {
  return {
    secret: f.secret,
    rule: f.rule,
    where: f.where,
    layer: f.layer === null ? null : layerJson(f.layer),
    path: f.path,
    encoding: f.encoding,
    deleted: f.deleted,
    ...(f.visibleAt === undefined ? {} : { visibleAt: f.visibleAt }),
    ...(f.image === undefined && f.platform === undefined
      ? {}
      : { image: { ...(f.image === undefined ? {} : { index: f.image }), ...(f.platform === undefined ? {} : { platform: f.platform }) } }),
    ...(f.predicateType === undefined ? {} : { predicateType: f.predicateType }),
    ...(f.referrer === undefined ? {} : { referrer: { manifest: f.referrer.manifest, subject: f.referrer.subject, via: f.referrer.via } }),
    ...(f.container === undefined ? {} : { container: f.container }),
    ...(f.dockerfile === undefined ? {} : { dockerfile: { path: f.dockerfile.path, line: f.dockerfile.line } }),
    ...(f.rule === null ? {} : { severity: f.severity ?? null, preview: f.preview ?? null, fingerprint: f.fingerprint ?? null }),
  };
}

/** The same fields as `check --format json`'s findings, in a fixed order. */
export function precheckJson(f: PrecheckFinding): Record<string, unknown> {
  return {
    kind: f.kind,
    severity: f.severity,
    secret: f.secret,
    path: f.path,
    encoding: f.encoding,
    dockerfile: f.dockerfile === null ? null : { path: f.dockerfile.path, line: f.dockerfile.line },
    message: f.message,
  };
}
