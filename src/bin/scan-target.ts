import { accessSync, constants } from "node:fs";
import { directEngineTarget } from "../scan/source/early-export.js";
import { engineReadMode } from "../docker/engine-images.js";

/** Where docker keeps its overlay2 layer records unless its data root was moved. */
const DEFAULT_LAYER_DB = "/var/lib/docker/image/overlay2/layerdb";

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
 * Whether `safebuild ARGV` scans an image whose export safebuild reads from the engine itself:
 * only then is a reader thread worth starting ahead (a tarball, a layout, an ssh:// engine or
 * an image read from the engine's storage need none).
 */
export function scansEngineImage(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string, layerDb = DEFAULT_LAYER_DB): boolean {
  if (argv[0] !== "scan") return false;
  const image = scanImageArgument(argv.slice(1));
  if (image === undefined) return false;
  try {
    return directEngineTarget(image, env, cwd) !== undefined && !storageLikelyReadable(env, layerDb);
  } catch {
    // an unreadable TLS file: the scan itself says so
    return false;
  }
}

/**
 * Whether the scan will likely read the image from the engine's storage (no export, no reader
 * thread): guessed from the default data root, for the prestart only; the scan decides itself.
 */
function storageLikelyReadable(env: NodeJS.ProcessEnv, layerDb: string): boolean {
  if (engineReadMode(env) === "export" || process.geteuid?.() !== 0) return false;
  try {
    accessSync(layerDb, constants.R_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
