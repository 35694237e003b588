import { VERDICT_KINDS } from "../report/verdict.js";

/** The CLI's closing verdict (CONTRACT.md Additions): the last stderr line that starts with one. */
const VERDICT = new RegExp(`^(?:safebuild: )?(?:${VERDICT_KINDS.join("|")})\\b.*$`);

export function lastVerdict(stderrTail: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  const lines = stderrTail.replace(/\u001b\[[0-9;]*[A-Za-z]/g, "").split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    const line = (lines[i] ?? "").trim();
    if (VERDICT.test(line)) return line;
  }
  return undefined;
}
