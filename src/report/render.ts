import type { ScanResult } from "../scan/finding.js";
import type { ReportFormat } from "../commands/context.js";
import type { SourceKind } from "../secrets/secret.js";

export interface ReportInput {
  readonly result: ScanResult;
  readonly secrets: readonly { readonly id: string; readonly source: SourceKind }[];
  readonly toolVersion: string;
}

/** Provisional: JSON only. The scan issue adds text and sarif writers. */
export function renderReport(_format: ReportFormat, input: ReportInput): string {
  return `${JSON.stringify({ schemaVersion: 1, tool: { name: "safebuild", version: input.toolVersion }, image: input.result.image, secrets: input.secrets, findings: input.result.findings, stats: input.result.stats }, null, 2)}\n`;
}
