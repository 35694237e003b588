import { createHash } from "node:crypto";
import type { RegistryClient } from "../../registry/client.js";
import { referrersPage, referrersTag } from "../../registry/referrers.js";
import type { ReferrerListing, ReferrerSource } from "./referrer-source.js";

/** Pages of one subject's referrers API listing read at most (docs/registries.md "Referrers"). */
export const REFERRER_PAGES = 8;

/** cosign's tags beside the referrers tag: `sha256-HEX.att` and the others. */
const COSIGN_SUFFIXES = [".att", ".sig", ".sbom"] as const;

/** What the registry store keeps of the manifests it read: the referrer lookup adds to it. */
export interface ManifestCache {
  /** the digest of the tag's index, when the tag names one */
  topIndex(): string | undefined;
  /** bytes read by tag, filed under the digest they hash to */
  adopt(digest: string, bytes: Buffer): void;
  /** a manifest by digest, fetched once and checked against it */
  byDigest(digest: string): Promise<Buffer>;
}

/**
 * The referrers of a manifest in a registry: the referrers API's pages, the referrers tag
 * schema's tag, and (for the image itself) cosign's `.att`, `.sig` and `.sbom` tags. A missing
 * tag and a registry without the API are no referrers; any other failure is the client's error.
 */
export function registryReferrers(client: RegistryClient, manifests: ManifestCache): ReferrerSource {
  const byTag = async (tag: string, via: string, kind: "index" | "manifest"): Promise<ReferrerListing | undefined> => {
    const found = await client.manifestIfAny(tag);
    if (found === undefined) return undefined;
    const digest = `sha256:${createHash("sha256").update(found.bytes).digest("hex")}`;
    manifests.adopt(digest, found.bytes);
    return kind === "index" ? { kind, via, bytes: found.bytes, digest, incomplete: false } : { kind, via, digest, mediaType: found.mediaType };
  };
  const api = async (subject: string): Promise<ReferrerListing[]> => {
    const listings: ReferrerListing[] = [];
    let next: string | undefined;
    do {
      const page = await referrersPage(client, subject, next);
      if (page === undefined) break;
      next = page.next;
      const incomplete = page.foreignNext || (next !== undefined && listings.length + 1 >= REFERRER_PAGES);
      listings.push({ kind: "index", via: "referrers API", bytes: page.bytes, digest: undefined, incomplete });
      if (incomplete) break;
    } while (next !== undefined);
    return listings;
  };
  return {
    topIndex: () => manifests.topIndex(),
    async find(subject, { cosign }) {
      const tag = referrersTag(subject);
      const tags = [byTag(tag, `tag ${tag}`, "index"), ...(cosign ? COSIGN_SUFFIXES.map((suffix) => byTag(`${tag}${suffix}`, `tag ${tag}${suffix}`, "manifest")) : [])];
      const [pages, ...tagged] = await Promise.all([api(subject), ...tags]);
      return [...pages, ...tagged.filter((listing) => listing !== undefined)];
    },
    manifest: (digest) => manifests.byDigest(digest),
  };
}
