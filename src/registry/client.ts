import type { IncomingMessage } from "node:http";
import { environmentError, inputError, isSafebuildError } from "../errors.js";
import { parseChallenges, type Challenge } from "./challenge.js";
import { findCredential, type CredentialLookup, type CredentialOptions } from "./credentials.js";
import { isNotTls, unreachable } from "./errors.js";
import { discard, readCapped, Transport, type HttpResponse } from "./http.js";
import { formatRef, type RegistryRef } from "./reference.js";
import { rawGet, type RawBody } from "./raw-get.js";
import { isLoopbackHost, tlsFilesFor, type TlsFiles } from "./tls.js";

export interface ClientOptions extends CredentialOptions {
  /** `--insecure-registry` hosts: plain HTTP allowed (loopback always is) */
  readonly insecure: readonly string[];
}

export const MANIFEST_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
];
/** distribution's own limit on a manifest it accepts. */
export const MANIFEST_CAP = 4 * 1024 * 1024;
const TOKEN_CAP = 1024 * 1024;
const ERROR_BODY_CAP = 64 * 1024;
const MAX_REDIRECTS = 5;
const RETRIES = 4;
const DEFAULT_TIMEOUT_S = 30;

/**
 * The distribution API for one repository, with docker's conventions: HTTPS (plain HTTP only
 * for loopback and `--insecure-registry` hosts, after HTTPS is refused), anonymous first,
 * then the challenge's scheme (Bearer token, Basic) with the credential the docker config or
 * podman's auth.json hold for this registry and no other.
 */
export class RegistryClient {
  readonly ref: RegistryRef;
  readonly #options: ClientOptions;
  readonly #transport: Transport;
  readonly #tls: TlsFiles;
  readonly #idleMs: number;
  readonly #backoffMs: number;
  #base: string | undefined;
  #authorization: string | undefined;
  #lookup: Promise<CredentialLookup> | undefined;

  constructor(ref: RegistryRef, options: ClientOptions) {
    this.ref = ref;
    this.#options = options;
    this.#tls = tlsFilesFor(ref.registry, options.env);
    this.#transport = new Transport(this.#tls);
    this.#idleMs = Math.round(timeoutSeconds(options.env) * 1000);
    this.#backoffMs = Math.min(this.#idleMs, 1000);
  }

  /** the idle bound of every request, for messages */
  get timeoutMs(): number {
    return this.#idleMs;
  }

  get label(): string {
    return `registry:${formatRef(this.ref)}`;
  }

  /** A manifest or index by tag or digest, at most 4 MiB. */
  async manifest(reference: string): Promise<{ bytes: Buffer; mediaType: string | undefined }> {
    return this.#manifestBody(await this.get(`manifests/${reference}`, { accept: MANIFEST_TYPES.join(", ") }), reference);
  }

  /**
   * As `manifest`, or undefined when the registry holds no such tag or digest (404): a tag that
   * may or may not have been pushed. Asked with a HEAD first: Docker Hub counts manifest GETs,
   * not HEADs, against its pull rate limit, and most such tags do not exist.
   */
  async manifestIfAny(reference: string): Promise<{ bytes: Buffer; mediaType: string | undefined } | undefined> {
    const accept = { accept: MANIFEST_TYPES.join(", ") };
    const head = await this.#request(`manifests/${reference}`, accept, "HEAD", [404]);
    discard(head.body);
    if (head.status === 404) return undefined;
    const res = await this.getUnless(`manifests/${reference}`, accept, [404]);
    return res === undefined ? undefined : this.#manifestBody(res, reference);
  }

  async #manifestBody(res: HttpResponse, reference: string): Promise<{ bytes: Buffer; mediaType: string | undefined }> {
    const bytes = await this.read(res, MANIFEST_CAP);
    if (bytes === undefined) throw inputError(`${this.label}: manifest ${reference} is larger than ${MANIFEST_CAP} bytes`);
    return { bytes, mediaType: res.headers["content-type"]?.split(";")[0]?.trim() };
  }

  /** A blob as it streams (redirects to blob storage followed without our Authorization). */
  async blob(digest: string): Promise<IncomingMessage> {
    return (await this.get(`blobs/${digest}`, {})).body;
  }

  /**
   * A blob's body on a connection of its own, read into one reused buffer (raw-get.ts), when the
   * registry answers the GET itself with a 200; null for any other answer (a redirect to blob
   * storage, a token to renew, a retry): `blob` then asks again on the client's own path.
   */
  async rawBlob(digest: string): Promise<RawBody | null> {
    const url = new URL(`${await this.#baseUrl()}/v2/${this.ref.repository}/blobs/${digest}`);
    try {
      const headers = this.#authorization === undefined ? {} : { authorization: this.#authorization };
      return (await rawGet({ url, headers, tls: this.#tls, idleMs: this.#idleMs, signal: this.#options.signal })).body;
    } catch (error) {
      if (this.#options.signal?.aborted) throw error;
      throw unreachable(url.host, error, this.#idleMs);
    }
  }

  /** A blob read whole, or undefined when over `cap`. */
  async smallBlob(digest: string, cap: number): Promise<Buffer | undefined> {
    return this.read(await this.get(`blobs/${digest}`, {}), cap);
  }

  close(): void {
    this.#transport.close();
  }

  /** Bytes of a response, at most `cap` (undefined over it); a body that breaks off is an environment error. */
  async read(res: HttpResponse, cap: number): Promise<Buffer | undefined> {
    try {
      return await readCapped(res.body, cap);
    } catch (error) {
      throw unreachable(this.ref.registry, error, this.#idleMs);
    }
  }

  /**
   * Whether the registry holds the manifest `digest` (a HEAD; 404 is no). A registry that names
   * another digest for it (Docker-Content-Digest) is an error.
   */
  async hasManifest(digest: string): Promise<boolean> {
    const res = await this.#request(`manifests/${digest}`, { accept: MANIFEST_TYPES.join(", ") }, "HEAD", [404]);
    discard(res.body);
    if (res.status === 404) return false;
    const named = res.headers["docker-content-digest"];
    if (typeof named === "string" && named !== "" && named !== digest) throw environmentError(`${this.label}: the registry names ${named} for manifest ${digest}`);
    return true;
  }

  /** GET `/v2/REPO/PATH`: 2xx, or a one-line error naming what went wrong. */
  get(path: string, headers: Record<string, string>): Promise<HttpResponse> {
    return this.#request(path, headers, "GET");
  }

  /**
   * GET `/v2/REPO/PATH` where some answers mean "there is none" (a tag nobody pushed, an API the
   * registry lacks): undefined for those statuses (the body discarded), else as `get`.
   */
  async getUnless(path: string, headers: Record<string, string>, absent: readonly number[]): Promise<HttpResponse | undefined> {
    const res = await this.#request(path, headers, "GET", absent);
    if (res.status >= 200 && res.status < 300) return res;
    discard(res.body);
    return undefined;
  }

  /** 2xx (or one of the `absent` statuses, returned as they are), or a one-line error naming what went wrong. */
  async #request(path: string, headers: Record<string, string>, method: "GET" | "HEAD", absent: readonly number[] = []): Promise<HttpResponse> {
    const base = await this.#baseUrl();
    const url = new URL(`${base}/v2/${this.ref.repository}/${path}`);
    let res = await this.#retrying(url, headers, method);
    // once per request: the first 401 asks for credentials, a later one renews an expired token
    if (res.status === 401) {
      const challenge = res.headers["www-authenticate"];
      discard(res.body);
      await this.#authenticate(typeof challenge === "string" ? challenge : undefined);
      res = await this.#retrying(url, headers, method);
    }
    if ((res.status >= 200 && res.status < 300) || absent.includes(res.status)) return res;
    const detail = await this.#errorCode(res);
    if (res.status === 401 || res.status === 403) throw await this.#denied(res.status);
    if (res.status === 404) {
      const what = path.startsWith("manifests/") ? `no such repository or tag (${detail || "404"})` : `blob ${path.slice("blobs/".length)} not found (${detail || "404"})`;
      throw inputError(`${this.label}: ${what}`);
    }
    throw environmentError(`${this.label}: the registry answered ${res.status}${detail ? ` (${detail})` : ""}`);
  }

  /** Sends, following redirects and retrying 429 and 502-504 with backoff (Retry-After honoured, bounded). */
  async #retrying(url: URL, headers: Record<string, string>, method: "GET" | "HEAD"): Promise<HttpResponse> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.#follow(url, headers, method);
      const retriable = res.status === 429 || res.status === 502 || res.status === 503 || res.status === 504;
      if (!retriable) return res;
      discard(res.body);
      if (attempt >= RETRIES) {
        throw environmentError(`${this.label}: the registry answered ${res.status}${res.status === 429 ? " (rate limited)" : ""} ${attempt + 1} times; try again later`);
      }
      const after = Number(res.headers["retry-after"]);
      const wait = Number.isFinite(after) && after >= 0 ? Math.min(after * 1000, this.#idleMs) : this.#backoffMs * 2 ** attempt;
      await sleep(wait, this.#options.signal);
    }
  }

  async #follow(start: URL, headers: Record<string, string>, method: "GET" | "HEAD"): Promise<HttpResponse> {
    let url = start;
    for (let hops = 0; ; hops++) {
      // our Authorization goes to the registry's own host only, never where a redirect points
      const own = url.host === start.host && url.protocol === start.protocol;
      const res = await this.#send({ url, method, headers: { ...headers, ...(own && this.#authorization ? { authorization: this.#authorization } : {}) } });
      const location = res.headers.location;
      if (![301, 302, 303, 307, 308].includes(res.status) || location === undefined) return res;
      discard(res.body);
      if (hops >= MAX_REDIRECTS) throw environmentError(`${this.label}: more than ${MAX_REDIRECTS} redirects`);
      const next = new URL(location, url);
      if (next.protocol !== "https:" && !(next.protocol === "http:" && (next.host === start.host || isLoopbackHost(next.host)))) {
        throw environmentError(`${this.label}: the registry redirects to ${next.protocol}//${next.host}, which is not HTTPS`);
      }
      url = next;
    }
  }

  async #send(request: { url: URL; method?: "GET" | "POST" | "HEAD"; headers?: Record<string, string>; body?: Buffer }): Promise<HttpResponse> {
    try {
      return await this.#transport.send({ ...request, idleMs: this.#idleMs, signal: this.#options.signal });
    } catch (error) {
      if (this.#options.signal?.aborted) throw error;
      throw unreachable(request.url.host, error, this.#idleMs);
    }
  }

  /** https://HOST, or http://HOST when HTTPS is refused and the host may speak plain HTTP. */
  async #baseUrl(): Promise<string> {
    if (this.#base !== undefined) return this.#base;
    const host = this.ref.registry;
    const plainAllowed = isLoopbackHost(host) || this.#options.insecure.includes(host);
    try {
      const res = await this.#transport.send({ url: new URL(`https://${host}/v2/`), idleMs: this.#idleMs, signal: this.#options.signal });
      discard(res.body);
      this.#base = `https://${host}`;
    } catch (error) {
      if (this.#options.signal?.aborted) throw error;
      if (!plainAllowed || !isNotTls(error)) throw unreachable(host, error, this.#idleMs);
      this.#base = `http://${host}`;
    }
    return this.#base;
  }

  #credentials(): Promise<CredentialLookup> {
    return (this.#lookup ??= findCredential(this.ref.authKeys, this.#options));
  }

  async #authenticate(header: string | undefined): Promise<void> {
    const challenges = header === undefined ? undefined : parseChallenges(header);
    const bearer = challenges?.find((c) => c.scheme === "bearer" && c.params["realm"] !== undefined);
    const basic = challenges?.find((c) => c.scheme === "basic");
    if (bearer === undefined && basic === undefined) {
      throw environmentError(`${this.label}: the registry answered 401 without a usable WWW-Authenticate challenge`);
    }
    const { credential } = await this.#credentials();
    if (bearer !== undefined) {
      this.#authorization = `Bearer ${await this.#token(bearer)}`;
      return;
    }
    if (credential?.password === undefined) throw await this.#denied(401);
    this.#authorization = `Basic ${Buffer.from(`${credential.username}:${credential.password}`, "utf8").toString("base64")}`;
    this.#options.sensitive(Buffer.from(this.#authorization, "utf8"));
  }

  /**
   * The token flow: an identity token is POSTed as a refresh token, a password goes as Basic on
   * a GET; anonymous otherwise. The credential goes to the realm only when it is HTTPS (plain
   * HTTP on loopback): the challenge names it, so it is the registry's own token service.
   */
  async #token(challenge: Challenge): Promise<string> {
    let realm: URL;
    try {
      realm = new URL(challenge.params["realm"]!);
    } catch {
      throw environmentError(`${this.label}: the registry's token realm is not a URL`);
    }
    if (realm.protocol !== "https:" && realm.protocol !== "http:") throw environmentError(`${this.label}: the registry's token realm is not HTTP(S)`);
    const service = challenge.params["service"];
    const scope = challenge.params["scope"] ?? `repository:${this.ref.repository}:pull`;
    const safeRealm = realm.protocol === "https:" || isLoopbackHost(realm.host);
    const credential = safeRealm ? (await this.#credentials()).credential : undefined;
    let res: HttpResponse;
    if (credential?.identityToken !== undefined) {
      const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: credential.identityToken, client_id: "safebuild", scope, ...(service ? { service } : {}) });
      res = await this.#send({ url: realm, method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: Buffer.from(form.toString()) });
    } else {
      const url = new URL(realm);
      if (service) url.searchParams.set("service", service);
      url.searchParams.set("scope", scope);
      const basic = credential?.password === undefined ? {} : { authorization: `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString("base64")}` };
      res = await this.#send({ url, headers: basic });
    }
    if (res.status === 401 || res.status === 403) {
      discard(res.body);
      throw await this.#denied(res.status);
    }
    if (res.status !== 200) {
      discard(res.body);
      throw environmentError(`${this.label}: the token service ${realm.host} answered ${res.status}`);
    }
    const body = await this.read(res, TOKEN_CAP);
    let token: unknown;
    try {
      const parsed = JSON.parse(body?.toString("utf8") ?? "") as { token?: unknown; access_token?: unknown };
      token = parsed.token ?? parsed.access_token;
    } catch {
      token = undefined;
    }
    if (typeof token !== "string" || token === "" || !/^[\x21-\x7e]+$/.test(token)) throw environmentError(`${this.label}: the token service ${realm.host} sent no token`);
    this.#options.sensitive(Buffer.from(token, "utf8"));
    return token;
  }

  async #denied(status: number): Promise<Error> {
    const { credential, tried } = await this.#credentials();
    const what = status === 403 ? "denied access" : "needs credentials";
    const asked = credential !== undefined ? `refused the credential from ${credential.source}` : tried.length > 0 ? `found none in ${tried.join(", ")}` : "found none (no docker config.json or auth.json entry for it)";
    return inputError(`${this.label}: the registry ${what} (${status}); ${asked}`);
  }

  /** distribution's error code (`MANIFEST_UNKNOWN`, `NAME_UNKNOWN`…), never the rest of the body. */
  async #errorCode(res: HttpResponse): Promise<string> {
    try {
      const body = await readCapped(res.body, ERROR_BODY_CAP);
      const code = (JSON.parse(body?.toString("utf8") ?? "") as { errors?: { code?: unknown }[] }).errors?.[0]?.code;
      return typeof code === "string" && /^[A-Z_]{1,40}$/.test(code) ? code : "";
    } catch (error) {
      if (isSafebuildError(error)) throw error;
      return "";
    }
  }
}

function timeoutSeconds(env: NodeJS.ProcessEnv): number {
  const raw = env["SAFEBUILD_REGISTRY_TIMEOUT"]?.trim();
  if (raw === undefined || raw === "") return DEFAULT_TIMEOUT_S;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw inputError("SAFEBUILD_REGISTRY_TIMEOUT must be a positive number of seconds");
  return n;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });
}
