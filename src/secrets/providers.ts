import { cmdProvider } from "./cmd.js";
import { dotenvProvider } from "./dotenv.js";
import { envProvider } from "./env.js";
import { fileProvider } from "./file.js";
import type { Provider } from "./provider.js";
import type { SourceKind } from "./secret.js";
import { vaultProvider } from "./vault.js";

/** One entry per source kind: a new provider is one file and one line here. */
export const providers: Record<SourceKind, Provider> = {
  env: envProvider,
  file: fileProvider,
  dotenv: dotenvProvider,
  vault: vaultProvider,
  cmd: cmdProvider,
};
