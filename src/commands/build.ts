import type { CommandContext, BuildOptions } from "./context.js";
import { usageError } from "../errors.js";

export async function buildCommand(_options: BuildOptions, _ctx: CommandContext): Promise<number> {
  throw usageError("build: not implemented yet");
}
