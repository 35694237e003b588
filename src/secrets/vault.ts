import { inputError } from "../errors.js";
import type { Provider } from "./provider.js";

export const vaultProvider: Provider = async (ref) => {
  throw inputError(`secret ${ref.id}: the vault: source is not available yet`);
};
