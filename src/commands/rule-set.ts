import path from "node:path";
import type { LoadedConfig } from "../config/loaded-config.js";
import type { CompiledRule } from "../rules/compile-rules.js";
import { loadRules } from "../rules/load-rules.js";
import type { CommandContext, RuleOptions } from "./context.js";

/**
 * The pattern rules of a run: the built-in set, the config's `scan.rules` and `scan.rulesFile`,
 * then `--rules` files; none with `--no-rules`. What a file asks that cannot be honoured is
 * said on stderr, one line each. A rule that does not compile is exit 2 naming it.
 */
export function ruleSetOf(options: RuleOptions, config: LoadedConfig | undefined, ctx: CommandContext): readonly CompiledRule[] {
  const files = [
    ...(config?.rules.file === undefined ? [] : [{ path: config.rules.file, display: path.relative(ctx.cwd, config.rules.file) || config.rules.file }]),
    ...(options.rulesFiles ?? []).map((file) => ({ path: path.resolve(ctx.cwd, file), display: file })),
  ];
  const loaded = loadRules({
    enabled: options.rules !== false,
    files,
    config: config?.rules.specs ?? [],
    configDisplay: config?.display ?? "safebuild.yml",
    mayLoosen: config?.rules.mayLoosen ?? true,
  });
  for (const note of loaded.notes) ctx.io.warn(note);
  return loaded.rules;
}
