import path from "node:path";
import { inputError } from "../errors.js";
import { readSecretFile } from "./file.js";
import { expandPath } from "./expand-path.js";
import type { Provider } from "./provider.js";

/** `dotenv:PATH#KEY`; `dotenv:#KEY` means `./.env`. Each file is read and parsed once per run. */
export const dotenvProvider: Provider = async (ref, ctx) => {
  const hash = ref.target.lastIndexOf("#");
  const fileRef = ref.target.slice(0, hash) || ".env";
  const key = ref.target.slice(hash + 1);
  const file = expandPath(fileRef, ctx.cwd, ctx.home);
  const memoKey = `dotenv:${file}`;
  let parsed = ctx.memo.get(memoKey) as Promise<Record<string, string>> | undefined;
  if (parsed === undefined) {
    parsed = Promise.all([readSecretFile(ref.id, file, ctx.cwd, ctx.home), import("dotenv")]).then(([bytes, { parse }]) => {
      try {
        return parse(bytes);
      } finally {
        bytes.fill(0);
      }
    });
    ctx.memo.set(memoKey, parsed);
  }
  const values = await parsed;
  const value = Object.hasOwn(values, key) ? values[key] : undefined;
  if (value === undefined) {
    throw inputError(`secret ${ref.id}: no key ${key} in ${path.relative(ctx.cwd, file) || file}`);
  }
  return Buffer.from(value, "utf8");
};
