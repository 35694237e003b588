import type { CommandContext, ScanOptions } from "./context.js";
import { usageError } from "../errors.js";

export async function scanCommand(_options: ScanOptions, _ctx: CommandContext): Promise<number> {
  throw usageError("scan: not implemented yet");
}
