import type { CommandContext, CheckOptions } from "./context.js";
import { usageError } from "../errors.js";

export async function checkCommand(_options: CheckOptions, _ctx: CommandContext): Promise<number> {
  throw usageError("check: not implemented yet");
}
