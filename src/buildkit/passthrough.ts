import { usageError } from "../errors.js";

/** Builder flags that would take a step out of safebuild's hands: the audit would miss it. */
const BYPASS: Record<string, string> = {
  "--secret": "the secret would reach the builder unresolved, unchecked and unknown to the audit; give it before --",
  "--output": "the result would go where the audit does not look; give -o before -- (safebuild checks it)",
  "-o": "the result would go where the audit does not look; give -o before -- (safebuild checks it)",
  "--push": "the image would be pushed before the audit; give --push before -- (safebuild pushes after a clean scan)",
  "--load": "safebuild loads the image itself where the builder needs it",
  "--iidfile": "safebuild reads the image id from its own --iidfile; give --iidfile before --",
  "--progress": "safebuild reads the builder's plain log; give --progress before --",
};

/**
 * Arguments after `--` go to the builder verbatim, except those in BYPASS: refused (exit 2)
 * rather than silently letting a secret or an export skip the audit.
 */
export function checkPassthrough(args: readonly string[]): void {
  for (const arg of args) {
    const eq = arg.indexOf("=");
    const name = arg.startsWith("--") ? (eq === -1 ? arg : arg.slice(0, eq)) : arg.startsWith("-o") ? "-o" : arg;
    const why = Object.hasOwn(BYPASS, name) ? BYPASS[name] : undefined;
    if (why !== undefined) throw usageError(`${name} after --: ${why}`);
  }
}
