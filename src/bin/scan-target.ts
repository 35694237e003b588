import { directEngineTarget } from "../scan/source/early-export.js";

/** The options of `scan` that take a value (src/cli.ts): what follows them is not the image. */
export const SCAN_VALUE_OPTIONS: ReadonlySet<string> = new Set(["--format", "--report", "--output", "--secret", "--config", "--allow", "--platform", "--file", "--target", "--insecure-registry", "--rules"]);

/** The image argument of `scan ARGS`, read the way commander reads it, or undefined. */
export function scanImageArgument(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") return args[i + 1];
    if (SCAN_VALUE_OPTIONS.has(arg)) i += 1;
    else if (!arg.startsWith("-")) return arg;
  }
  return undefined;
}

/**
 * Whether `safebuild ARGV` scans an image that safebuild reads from the engine itself: only then
 * is a reader thread worth starting ahead (a tarball, a layout or an ssh:// engine need none).
 */
export function scansEngineImage(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): boolean {
  if (argv[0] !== "scan") return false;
  const image = scanImageArgument(argv.slice(1));
  if (image === undefined) return false;
  try {
    return directEngineTarget(image, env, cwd) !== undefined;
  } catch {
    // an unreadable TLS file: the scan itself says so
    return false;
  }
}
