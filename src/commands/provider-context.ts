import os from "node:os";
import { interruptedError } from "../errors.js";
import { secretTraces } from "../secrets/child-env.js";
import type { ProviderContext } from "../secrets/provider.js";
import type { SecretRef } from "../secrets/secret.js";
import type { CommandContext } from "./context.js";

/**
 * What providers see of a command's context; a fresh memo per run (one Vault read per path).
 * `refs` are all of the run's secrets: a `cmd:` child never sees any of their source variables.
 */
export function providerContext(ctx: CommandContext, refs: readonly SecretRef[]): ProviderContext {
  return {
    env: ctx.env,
    cwd: ctx.cwd,
    home: ctx.env["HOME"] ?? os.homedir(),
    masker: ctx.masker,
    signal: ctx.signal,
    memo: new Map(),
    stderr: ctx.io.err,
    traces: secretTraces(refs),
    warn: (message) => ctx.io.warn(message),
  };
}

/** After a signal, every command reports the interruption rather than whatever it broke. */
export function throwIfInterrupted(ctx: CommandContext): void {
  if (ctx.signal.aborted) throw interruptedError(ctx.signalName() ?? "SIGINT");
}
