import { inputError } from "../errors.js";

/** `PATH#FIELD` or `PATH#FIELD@VERSION` (KV v2 only), as written after `vault:`. */
export interface VaultTarget {
  /** Without leading or trailing slashes, as the `vault kv` CLI takes it: `secret/app`. */
  readonly path: string;
  readonly field: string;
  readonly version: number | undefined;
}

export function parseVaultTarget(id: string, target: string): VaultTarget {
  const hash = target.lastIndexOf("#");
  if (hash === -1) throw inputError(`secret ${id}: vault: expected PATH#FIELD, got no #FIELD in "${target}"`);
  const path = target.slice(0, hash).replace(/^\/+|\/+$/g, "");
  let field = target.slice(hash + 1);
  let version: number | undefined;
  const at = /@(\d+)$/.exec(field);
  if (at !== null) {
    version = Number(at[1]);
    field = field.slice(0, at.index);
    if (!Number.isSafeInteger(version) || version < 1) {
      throw inputError(`secret ${id}: vault: version must be a positive integer in "${target}"`);
    }
  }
  if (path === "") throw inputError(`secret ${id}: vault: empty path in "${target}"`);
  if (field === "") throw inputError(`secret ${id}: vault: empty field in "${target}"`);
  return { path, field, version };
}
