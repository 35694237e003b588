import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { tarOf as tarOfEntries } from "../helpers/archives.js";
import { SecretValue } from "../../src/secrets/secret-value.js";
import type { ResolvedSecret } from "../../src/secrets/secret.js";

export const repoRoot = resolve(import.meta.dirname, "../..");
export const fixtures = resolve(repoRoot, "test/fixtures/images");
export { peerImagesDir as peerImages } from "../helpers/peer-cases.js";

export function secret(id: string, value: string | Buffer): ResolvedSecret {
  return { id, kind: "env", value: SecretValue.copyOf(typeof value === "string" ? Buffer.from(value) : value) };
}

/** A tar of `files` (name, content), in order. */
export const tarOf = (files: ReadonlyArray<readonly [string, Buffer]>): Promise<Buffer> => tarOfEntries(files.map(([name, data]) => ({ name, data })));

/** Incompressible text without "sbtest" in it, so a gzip of it is about as big and holds no test value. */
export const noise = (bytes: number): Buffer => Buffer.from(randomBytes(bytes).toString("base64").replace(/sbtest/g, "xxxxxx"));
