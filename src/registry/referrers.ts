import { inputError } from "../errors.js";
import { MANIFEST_CAP, type RegistryClient } from "./client.js";

const INDEX_TYPE = "application/vnd.oci.image.index.v1+json";
/**
 * The spec says a registry without the referrers API answers 404; registries and proxies seen
 * answering 400, 405 or 406 there mean the same (go-containerregistry falls back on those too).
 */
const NO_REFERRERS_API = [400, 404, 405, 406];

/** One page of the referrers API: an image index, and where the next page is when there is one. */
export interface ReferrersPage {
  readonly bytes: Buffer;
  /** the next page's path under `/v2/REPO/`; undefined on the last page */
  readonly next: string | undefined;
  /** a `Link` to a next page this client will not follow (another host or path): the listing is incomplete */
  readonly foreignNext: boolean;
}

/**
 * `GET /v2/REPO/referrers/DIGEST` (OCI distribution 1.1): the manifests whose `subject` is
 * `digest`, as an image index; `page` is a `next` of an earlier page. undefined when the
 * registry has no referrers API (NO_REFERRERS_API, or a 200 that is not an index).
 */
export async function referrersPage(client: RegistryClient, digest: string, page?: string): Promise<ReferrersPage | undefined> {
  const res = await client.getUnless(page ?? `referrers/${digest}`, { accept: INDEX_TYPE }, NO_REFERRERS_API);
  if (res === undefined) return undefined;
  const type = res.headers["content-type"]?.split(";")[0]?.trim();
  const bytes = await client.read(res, MANIFEST_CAP);
  if (bytes === undefined) throw inputError(`${client.label}: the referrers of ${digest} are listed in more than ${MANIFEST_CAP} bytes`);
  if (type !== undefined && type !== INDEX_TYPE && type !== "application/json") return undefined;
  const link = res.headers["link"];
  const next = nextPage(typeof link === "string" ? link : undefined, client.ref.registry, `/v2/${client.ref.repository}/`, `referrers/${digest}`);
  return { bytes, next: next === null ? undefined : next, foreignNext: next === null };
}

/**
 * The path of a `Link: <URL>; rel="next"` under `prefix`, when it pages the same listing on
 * `host`; undefined without one, null when it points elsewhere (a Link is the registry's word,
 * and a URL on another host would carry our Authorization there).
 */
export function nextPage(link: string | undefined, host: string, prefix: string, listing: string): string | undefined | null {
  if (link === undefined) return undefined;
  const match = /<([^>]*)>\s*;[^,]*\brel="?next"?/i.exec(link);
  if (match === null) return undefined;
  let url: URL;
  try {
    url = new URL(match[1] ?? "", `http://${host}`);
  } catch {
    return null;
  }
  if (url.host !== host || !url.pathname.startsWith(prefix)) return null;
  const path = url.pathname.slice(prefix.length);
  return path === listing ? `${path}${url.search}` : null;
}

/**
 * The tag the referrers tag schema (OCI distribution 1.1) keeps for `digest`'s referrers:
 * `ALG-HEX`, the algorithm cut to 32 characters and the hex to 64; cosign's tags add `.sig`,
 * `.att` or `.sbom` to it.
 */
export function referrersTag(digest: string): string {
  const at = digest.indexOf(":");
  return `${digest.slice(0, at).slice(0, 32)}-${digest.slice(at + 1).slice(0, 64)}`;
}
