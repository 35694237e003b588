import { inputError } from "../errors.js";
import { MAX_SECRET_BYTES } from "./limits.js";
import type { ProviderContext } from "./provider.js";
import { providers } from "./providers.js";
import type { ResolvedSecret, SecretRef, SourceKind } from "./secret.js";
import { SecretValue } from "./secret-value.js";

/**
 * Resolves every ref, in order, and checks each value before any build starts. Each value
 * is registered with the masker the moment its bytes exist, so even an error raised later
 * in this run cannot print it. On failure, whatever was already resolved is wiped.
 */
export async function resolveSecrets(refs: readonly SecretRef[], ctx: ProviderContext): Promise<ResolvedSecret[]> {
  const resolved: ResolvedSecret[] = [];
  try {
    for (const ref of refs) resolved.push(await resolveOne(ref, ctx));
    return resolved;
  } catch (error) {
    wipeSecrets(resolved);
    throw error;
  }
}

async function resolveOne(ref: SecretRef, ctx: ProviderContext): Promise<ResolvedSecret> {
  const kind: SourceKind = ref.fallbackFile !== undefined && ctx.env[ref.target] === undefined ? "file" : ref.kind;
  const target = kind === ref.kind ? ref : { ...ref, kind, target: ref.fallbackFile ?? ref.target };
  const bytes = await providers[kind](target, ctx);
  const value = SecretValue.adopt(bytes);
  if (value.length === 0) {
    throw inputError(`secret ${ref.id} is empty (${describeSource(kind, target.target)}); BuildKit would silently skip it`);
  }
  if (isBlank(value.expose())) {
    value.wipe();
    throw inputError(`secret ${ref.id} is only whitespace (${describeSource(kind, target.target)}): nothing to mount, search or mask`);
  }
  if (value.length > MAX_SECRET_BYTES) {
    value.wipe();
    throw inputError(`secret ${ref.id} is over 500 KiB (${describeSource(kind, target.target)}), BuildKit's limit`);
  }
  ctx.masker.add(ref.id, value);
  ctx.traces.values.push(value);
  return { id: ref.id, kind, value };
}

function describeSource(kind: SourceKind, target: string): string {
  if (kind === "cmd") return "from cmd:";
  return `from ${kind}:${target}`;
}

export function wipeSecrets(secrets: readonly ResolvedSecret[]): void {
  for (const secret of secrets) if (!secret.value.wiped) secret.value.wipe();
}

function isBlank(bytes: Buffer): boolean {
  for (const byte of bytes) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return false;
  return true;
}
