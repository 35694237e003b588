import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { TlsFiles } from "./tls.js";
import { readBodyCapped } from "../bytes/read-body.js";

/** One HTTP exchange, the body left to stream: layers are never held whole. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingMessage["headers"];
  readonly body: IncomingMessage;
}

export interface HttpRequest {
  readonly url: URL;
  readonly method?: "GET" | "POST" | "HEAD";
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  /** no bytes for this long (connecting, waiting for headers, or mid-body): the request fails with ETIMEDOUT */
  readonly idleMs: number;
  readonly signal?: AbortSignal | undefined;
}

/** Keep-alive agents, one per TLS setting, so a scan's requests to one registry share connections. */
export class Transport {
  readonly #http = new HttpAgent({ keepAlive: true, maxSockets: 8 });
  readonly #https: HttpsAgent;

  constructor(tls: TlsFiles) {
    this.#https = new HttpsAgent({
      keepAlive: true,
      maxSockets: 8,
      ca: [...tls.ca],
      ...(tls.cert === undefined ? {} : { cert: tls.cert }),
      ...(tls.key === undefined ? {} : { key: tls.key }),
    });
  }

  send(request: HttpRequest): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const https = request.url.protocol === "https:";
      const req = (https ? httpsRequest : httpRequest)(request.url, {
        method: request.method ?? "GET",
        headers: { "user-agent": "safebuild", ...request.headers, ...(request.body ? { "content-length": String(request.body.length) } : {}) },
        agent: https ? this.#https : this.#http,
        ...(request.signal === undefined ? {} : { signal: request.signal }),
      });
      let response: IncomingMessage | undefined;
      // the idle bound keeps holding while the body streams: a registry that stalls mid-layer fails too
      req.setTimeout(request.idleMs, () => {
        const timedOut = Object.assign(new Error("timed out"), { code: "ETIMEDOUT" });
        response?.destroy(timedOut);
        req.destroy(timedOut);
      });
      req.once("error", reject);
      req.once("response", (res) => {
        response = res;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res });
      });
      req.end(request.body);
    });
  }

  close(): void {
    this.#http.destroy();
    this.#https.destroy();
  }
}

/** The body, whole, if it fits in `cap` bytes; undefined (and the response dropped) if not; a cut body is an error. */
export async function readCapped(body: IncomingMessage, cap: number): Promise<Buffer | undefined> {
  const whole = await readBodyCapped(body, cap);
  if (whole !== undefined && !body.complete) throw Object.assign(new Error("the response ended early"), { code: "ECONNRESET", syscall: "read" });
  return whole;
}

/** Drains and drops a body we do not want, so its connection returns to the pool. */
export function discard(body: IncomingMessage): void {
  body.resume();
  body.once("error", () => undefined);
}
