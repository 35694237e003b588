import { environmentError } from "../errors.js";
import { RegistryClient, type ClientOptions } from "../registry/client.js";
import { parseRegistryRef } from "../registry/reference.js";
import type { Pushed } from "./docker-push.js";

/**
 * Asks each registry for the manifest its push reported, by digest (a HEAD, with docker's
 * credentials and TLS): the digest safebuild reports is one the registry holds, never only the
 * push tool's word. A manifest the registry does not have is exit 4.
 */
export async function verifyPushed(pushed: readonly Pushed[], options: ClientOptions): Promise<void> {
  for (const { tag, descriptor } of pushed) {
    const client = new RegistryClient({ ...parseRegistryRef(tag), reference: descriptor.digest, tag: undefined, digest: descriptor.digest }, options);
    try {
      if (!(await client.hasManifest(descriptor.digest))) {
        throw environmentError(`the push of ${tag} reported ${descriptor.digest}, but the registry has no such manifest (HEAD answered 404)`);
      }
    } finally {
      client.close();
    }
  }
}
