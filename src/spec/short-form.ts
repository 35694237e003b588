import { usageError } from "../errors.js";
import type { SecretRef, SourceKind } from "../secrets/secret.js";
import { checkSecretId, quoteSpec } from "./secret-id.js";

const SCHEMES: Record<string, SourceKind> = {
  file: "file",
  env: "env",
  dotenv: "dotenv",
  vault: "vault",
  cmd: "cmd",
};

/** `ID=REF` where REF is a path or `scheme:rest` (CONTRACT.md "Secret specs"). */
export function parseShortForm(spec: string): SecretRef {
  const eq = spec.indexOf("=");
  const id = checkSecretId(spec.slice(0, eq), spec);
  const ref = spec.slice(eq + 1);
  if (ref === "") throw usageError(`--secret ${quoteSpec(spec)}: nothing after "${id}="`);
  const scheme = /^([a-z][a-z0-9+.-]*):/.exec(ref);
  if (scheme?.[1] === undefined) return { id, kind: "file", target: ref, spec };
  const kind = SCHEMES[scheme[1]];
  const target = ref.slice(scheme[1].length + 1);
  if (kind === undefined) {
    throw usageError(
      `--secret ${quoteSpec(spec)}: unknown source "${scheme[1]}:" (file:, env:, dotenv:, vault:, cmd:; prefix a path that has a colon with file:)`,
    );
  }
  if (target === "" && kind !== "dotenv") throw usageError(`--secret ${quoteSpec(spec)}: nothing after "${scheme[1]}:"`);
  if (kind === "env" && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(target)) {
    throw usageError(`--secret ${quoteSpec(spec)}: ${JSON.stringify(target)} is not an environment variable name`);
  }
  if (kind === "dotenv" || kind === "vault") {
    const hash = target.lastIndexOf("#");
    if (hash === -1 || hash === target.length - 1) {
      throw usageError(`--secret ${quoteSpec(spec)}: ${scheme[1]}: needs #${kind === "vault" ? "FIELD" : "KEY"}`);
    }
    if (kind === "vault" && hash === 0) throw usageError(`--secret ${quoteSpec(spec)}: vault: needs a PATH before #`);
  }
  return { id, kind, target, spec };
}
