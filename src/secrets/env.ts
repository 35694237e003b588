import { inputError } from "../errors.js";
import type { Provider } from "./provider.js";

export const envProvider: Provider = async (ref, ctx) => {
  const value = ctx.env[ref.target];
  if (value === undefined) {
    throw inputError(`secret ${ref.id}: environment variable ${ref.target} is not set`);
  }
  return Buffer.from(value, "utf8");
};
