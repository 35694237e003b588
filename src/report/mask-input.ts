import type { Masker } from "../redact/masker-api.js";
import type { Finding } from "../scan/findings/finding.js";
import type { ReportInput } from "./report-input.js";
import type { PrecheckFinding } from "../precheck/finding.js";

/**
 * Masks every free-text field before a writer sees it. Masking the rendered output alone is
 * not enough: the text writer trims long lines, and a value cut in half is no longer found.
 */
export function maskReportInput(input: ReportInput, masker: Masker): ReportInput {
  const mask = (text: string): string => masker.maskString(text);
  const finding = (f: Finding): Finding => ({
    ...f,
    secret: f.secret === null ? null : mask(f.secret),
    path: mask(f.path),
    layer: f.layer === null ? null : { ...f.layer, createdBy: f.layer.createdBy === null ? null : mask(f.layer.createdBy) },
    ...(f.createdBy === undefined ? {} : { createdBy: mask(f.createdBy) }),
  });
  // a context file may be named after a value; a message quotes paths and Dockerfile text
  const precheck = <T extends PrecheckFinding>(f: T): T => ({
    ...f,
    secret: f.secret === null ? null : mask(f.secret),
    path: mask(f.path),
    message: mask(f.message),
    dockerfile: f.dockerfile === null ? null : { path: mask(f.dockerfile.path), line: f.dockerfile.line },
  });
  return {
    ...input,
    // ids too: the report's own words pass the final masking as written (own-words.ts), its data must not
    secrets: input.secrets.map((x) => ({ ...x, id: mask(x.id) })),
    result: {
      ...input.result,
      image: { ref: mask(input.result.image.ref), id: input.result.image.id },
      findings: input.result.findings.map(finding),
      warnings: input.result.warnings.map(mask),
      notSearched: input.result.notSearched.map((n) => ({
        ...n,
        path: mask(n.path),
        reason: mask(n.reason),
        layer: n.layer === null ? null : { ...n.layer, createdBy: n.layer.createdBy === null ? null : mask(n.layer.createdBy) },
      })),
    },
    ignored: input.ignored?.map((i) => ({ ...finding(i), reason: mask(i.reason) })),
    dockerfile: input.dockerfile === undefined ? undefined : mask(input.dockerfile),
    prechecks:
      input.prechecks === undefined
        ? undefined
        : {
            ...input.prechecks,
            findings: input.prechecks.findings.map(precheck),
            accepted: input.prechecks.accepted.map((a) => ({ ...precheck(a), reason: mask(a.reason) })),
            context: input.prechecks.context === undefined ? undefined : mask(input.prechecks.context),
          },
  };
}
