import type { SecretRef } from "../secrets/secret.js";
import type { ResolvedSecret } from "../secrets/secret.js";

/**
 * The environment a child (docker) gets: ours, minus every variable that a secret was read
 * from (`env:` sources) and every variable whose value is a secret's value. BuildKit gets
 * secrets through files only, so docker never needs them in its environment.
 */
export function childEnv(
  parent: NodeJS.ProcessEnv,
  refs: readonly SecretRef[],
  secrets: readonly ResolvedSecret[],
): Record<string, string> {
  const hiddenNames = new Set(refs.filter((r) => r.kind === "env").map((r) => r.target));
  const values = secrets.filter((s) => !s.value.wiped && s.value.length > 0).map((s) => s.value.expose());
  const isSecret = (value: string): boolean => {
    const bytes = Buffer.from(value);
    return values.some((v) => v.equals(bytes) || (v.at(-1) === 0x0a && v.subarray(0, -1).equals(bytes)));
  };
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(parent)) {
    if (value === undefined || hiddenNames.has(name) || isSecret(value)) continue;
    out[name] = value;
  }
  return out;
}
