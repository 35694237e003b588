import path from "node:path";
import { writeFileAtomic } from "../atomic-file.js";
import { describeFsError, inputError } from "../errors.js";
import { maskReportInput } from "../report/mask-input.js";
import { renderReport } from "../report/render.js";
import type { ReportInput } from "../report/report-input.js";
import { verdictLine } from "../report/verdict.js";
import type { MaskedStream } from "../redact/masker-api.js";
import { said } from "../redact/own-words.js";
import type { CommandContext, ReportOptions } from "./context.js";

/**
 * Writes the report where CONTRACT.md says: `--report FILE` (atomically, 0644), else text on
 * stderr and json/sarif on stdout, so `safebuild … --format json > report.json` works.
 * Then the verdict line on stderr, unless the text report there already ends with it.
 * Used by both build and scan.
 */
export async function writeReport(input: ReportInput, options: ReportOptions, ctx: CommandContext): Promise<void> {
  const masked = maskReportInput(input, ctx.masker);
  if (options.report !== undefined) {
    const text = ctx.masker.maskOwn(renderReport(options.format, masked, { color: false }));
    await writeReportFile(path.resolve(ctx.cwd, options.report), text, options.report);
    await write(ctx.io.err, said`${verdictLine(masked)}; report in ${options.report}\n`);
    return;
  }
  const toErr = options.format === "text";
  const color = toErr && ctx.io.interactive && !noColor(ctx.env);
  await write(toErr ? ctx.io.err : ctx.io.out, renderReport(options.format, masked, { color }));
  if (!toErr) await write(ctx.io.err, `${verdictLine(masked)}\n`);
}

/** The report alone, where `writeReport` puts it, with no verdict (a build refused before it ran: its error is the last line). */
export async function writeReportOnly(input: ReportInput, options: ReportOptions, ctx: CommandContext): Promise<void> {
  const text = renderReport(options.format, maskReportInput(input, ctx.masker), { color: false });
  if (options.report !== undefined) await writeReportFile(path.resolve(ctx.cwd, options.report), ctx.masker.maskOwn(text), options.report);
  else await write(options.format === "text" ? ctx.io.err : ctx.io.out, text);
}

/** https://no-color.org: set and not empty. */
export const noColor = (env: NodeJS.ProcessEnv): boolean => (env["NO_COLOR"] ?? "") !== "";

/**
 * Reports are composed text: their data was masked field by field (mask-input.ts), and their
 * own words pass as written. Masked streams report their own errors (a closed pipe is not ours).
 */
const write = (stream: MaskedStream, text: string): Promise<void> =>
  new Promise((resolve) => {
    stream.say(text, () => resolve());
  });

async function writeReportFile(file: string, text: string, shown: string): Promise<void> {
  await writeFileAtomic(file, text).catch((error: unknown) => {
    throw inputError(`cannot write the report to ${shown}: ${describeFsError(error)}`, error);
  });
}
