import { resolve } from "node:path";
import { SecretValue } from "../../src/secrets/secret-value.js";
import type { ResolvedSecret } from "../../src/secrets/secret.js";

export const repoRoot = resolve(import.meta.dirname, "../..");
export const fixtures = resolve(repoRoot, "test/fixtures/images");
export { peerImagesDir as peerImages } from "../helpers/peer-cases.js";

export function secret(id: string, value: string | Buffer): ResolvedSecret {
  return { id, kind: "env", value: SecretValue.copyOf(typeof value === "string" ? Buffer.from(value) : value) };
}
