import { existsSync } from "node:fs";
import { cliPath, repoRoot, runCli as runAudited } from "../helpers/cli.js";

export const root = repoRoot;
/** Third-party archives kept beside the checkout; read in place, never copied. */
export { peerImagesDir as peerImages } from "../helpers/peer-cases.js";

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function assertBuilt(): void {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` first`);
}

/**
 * Runs the built CLI through the suite's audited runner (every output is later checked for
 * every secret value), with `secrets` the values this run knows.
 */
export async function runCli(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; secrets?: readonly string[] } = {},
): Promise<CliRun> {
  const run = await runAudited(args, {
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    env: { NO_COLOR: "1", ...options.env },
    secrets: options.secrets ?? [],
    timeoutMs: 120_000,
  });
  return { code: run.code, stdout: run.stdout.toString(), stderr: run.stderr.toString() };
}
