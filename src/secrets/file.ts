import { stat } from "node:fs/promises";
import { describeFsError, inputError } from "../errors.js";
import { expandPath } from "./expand-path.js";
import { MAX_SECRET_BYTES } from "./limits.js";
import type { Provider } from "./provider.js";
import { readCapped } from "./read-capped.js";

export const fileProvider: Provider = async (ref, ctx) => readSecretFile(ref.id, ref.target, ctx.cwd, ctx.home);

export async function readSecretFile(id: string, target: string, cwd: string, home: string): Promise<Buffer> {
  const file = expandPath(target, cwd, home);
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw Object.assign(new Error("EISDIR"), { code: "EISDIR" });
    return await readCapped(file, MAX_SECRET_BYTES);
  } catch (error) {
    throw inputError(`secret ${id}: cannot read ${file}: ${describeFsError(error)}`, error);
  }
}
