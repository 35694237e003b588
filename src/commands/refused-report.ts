import type { PrecheckReport, ReportInput } from "../report/report-input.js";
import { toolVersion } from "../report/tool-version.js";
import type { ResolvedSecret } from "../secrets/secret.js";
import type { BuildOptions } from "./context.js";
import type { NotedWarnings } from "./noted-warnings.js";
import { writeReportOnly } from "./report-output.js";

/**
 * A build refused before the builder started still writes its json or sarif report, so CI
 * shows the findings on their Dockerfile lines: no image (`id` null), no image findings, and
 * the checks that refused it. The text report would only repeat stderr: none is written.
 */
export async function writeRefusedReport(
  options: BuildOptions,
  prechecks: PrecheckReport,
  { secrets, dockerfile }: { readonly secrets: readonly ResolvedSecret[]; readonly dockerfile: string | undefined },
  noted: NotedWarnings,
): Promise<void> {
  if (!options.scan || options.format === "text") return;
  const input: ReportInput = {
    result: {
      image: { ref: options.tags[0] ?? "", id: null },
      findings: [],
      notSearched: [],
      stats: { layers: 0, files: 0, bytes: 0, durationMs: 0 },
      warnings: noted.withScan([]),
    },
    secrets: secrets.map((s) => ({ id: s.id, source: s.kind })),
    toolVersion: toolVersion(),
    dockerfile,
    prechecks,
  };
  await writeReportOnly(input, options, noted.ctx);
}
