import { usageError } from "../errors.js";
import type { SecretRef } from "../secrets/secret.js";
import { isDockerForm, parseDockerForm } from "./docker-form.js";
import { quoteSpec } from "./secret-id.js";
import { parseShortForm } from "./short-form.js";

/** One `--secret` value: the docker form when every field is a buildx key, else `ID=REF`. */
export function parseSecretSpec(spec: string): SecretRef {
  if (isDockerForm(spec)) return parseDockerForm(spec);
  if (!spec.includes("=")) {
    throw usageError(`--secret ${quoteSpec(spec)}: expected ID=REF (e.g. npmrc=~/.npmrc) or id=ID,src=PATH`);
  }
  return parseShortForm(spec);
}

export function parseSecretSpecs(specs: readonly string[]): SecretRef[] {
  const refs = specs.map(parseSecretSpec);
  const seen = new Set<string>();
  for (const ref of refs) {
    if (seen.has(ref.id)) throw usageError(`--secret: the id "${ref.id}" is given twice`);
    seen.add(ref.id);
  }
  return refs;
}
