import { cmdProvider } from "./cmd.js";
import { dotenvProvider } from "./dotenv.js";
import { envProvider } from "./env.js";
import { fileProvider } from "./file.js";
import type { Provider } from "./provider.js";
import type { SourceKind } from "./secret.js";

/** One entry per source kind: a new provider is one file and one line here. */
export const providers: Record<SourceKind, Provider> = {
  env: envProvider,
  file: fileProvider,
  dotenv: dotenvProvider,
  // Vault pulls in an HTTP client and a validator: load it only for runs that use it.
  vault: async (ref, ctx) => (await import("./vault.js")).vaultProvider(ref, ctx),
  cmd: cmdProvider,
};
