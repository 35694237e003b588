import type { SecretRef } from "../secrets/secret.js";
import { parseSecretSpecs } from "../spec/parse-secret-spec.js";
import type { LoadedConfig } from "./loaded-config.js";

/**
 * The secrets of a run: the file's, then the flags'. A `--secret` whose id is also in the file
 * replaces the file's entry (a local override, not a duplicate); the same id twice among the
 * flags is still an error.
 */
export function mergeSecretSpecs(cliSpecs: readonly string[], config: LoadedConfig | undefined): SecretRef[] {
  const fromFlags = parseSecretSpecs(cliSpecs);
  const overridden = new Set(fromFlags.map((ref) => ref.id));
  return [...(config?.secrets ?? []).filter((ref) => !overridden.has(ref.id)), ...fromFlags];
}
