import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { pack } from "tar-stream";
import { SecretValue } from "../../src/secrets/secret-value.js";
import type { ResolvedSecret } from "../../src/secrets/secret.js";

export const repoRoot = resolve(import.meta.dirname, "../..");
export const fixtures = resolve(repoRoot, "test/fixtures/images");
export { peerImagesDir as peerImages } from "../helpers/peer-cases.js";

export function secret(id: string, value: string | Buffer): ResolvedSecret {
  return { id, kind: "env", value: SecretValue.copyOf(typeof value === "string" ? Buffer.from(value) : value) };
}

/** A tar of `files`, in order, made by tar-stream (not by the walker under test). */
export async function tarOf(files: ReadonlyArray<readonly [string, Buffer]>): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on("data", (c: unknown) => chunks.push(Buffer.from(c as Uint8Array)));
  const done = new Promise<void>((resolve) => p.on("end", () => resolve()));
  for (const [name, body] of files) p.entry({ name }, body);
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Incompressible text without "sbtest" in it, so a gzip of it is about as big and holds no test value. */
export const noise = (bytes: number): Buffer => Buffer.from(randomBytes(bytes).toString("base64").replace(/sbtest/g, "xxxxxx"));
