import { isUtf8 } from "node:buffer";

/**
 * `::add-mask::` lines for GitHub Actions, so the runner masks the values in every later step
 * too. Workflow command data is %-escaped by the runner's rules (`%` `\r` `\n`); a value is
 * only sent when it is printable text on one line: the runner masks text, and a multi-line
 * value is registered line by line through its `line` variants.
 */
export function addMaskLine(bytes: Buffer): string | undefined {
  if (!isUtf8(bytes)) return undefined;
  const text = bytes.toString("utf8");
  const control = [...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
  if (control || text.trim().length === 0) return undefined;
  return `::add-mask::${text.replace(/%/g, "%25")}\n`;
}

export function inGithubActions(env: NodeJS.ProcessEnv): boolean {
  return env["GITHUB_ACTIONS"] === "true";
}
