import { writeJson } from "./json.js";
import { writeSarif } from "./sarif.js";
import { writeText } from "./text.js";
import type { ReportInput, Writer, WriterOptions } from "./report-input.js";

export type { IgnoredFinding, ReportInput, SecretSummary, WriterOptions } from "./report-input.js";

/** The report formats, each with one writer. */
export type ReportFormat = "text" | "json" | "sarif";

const writers: Record<ReportFormat, Writer> = {
  text: writeText,
  json: writeJson,
  sarif: writeSarif,
};

/** Writers see no secret values; callers still mask the input and output (see report-output). */
export function renderReport(format: ReportFormat, input: ReportInput, options: WriterOptions = { color: false }): string {
  return writers[format](input, options);
}
