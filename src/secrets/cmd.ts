import { inputError } from "../errors.js";
import type { Provider } from "./provider.js";

export const cmdProvider: Provider = async (ref) => {
  throw inputError(`secret ${ref.id}: the cmd: source is not available yet`);
};
