import { request, createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A pass-through in front of the real registry that adds the OCI 1.1 referrers API, which
 * distribution 2.8 lacks: `GET /v2/NAME/referrers/ALG:HEX` answers, one descriptor per page
 * (so paging is exercised), the index the real registry holds under the tag `api-ALG-HEX`; an
 * empty index when there is none (a registry with the API and no referrers). Everything else,
 * the referrers' manifests and blobs included, comes from the real registry.
 */
export interface ReferrersApi {
  readonly host: string;
  /** the referrers API paths asked */
  readonly asked: string[];
  close(): Promise<void>;
}

const INDEX = "application/vnd.oci.image.index.v1+json";

export async function referrersApi(target: string): Promise<ReferrersApi> {
  const asked: string[] = [];
  const [hostname, port] = target.split(":");
  const forward = (method: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const upstream = request({ hostname, port: Number(port), path, method, headers }, (answer) => {
        const parts: Buffer[] = [];
        answer.on("data", (c: Buffer) => parts.push(c));
        answer.on("end", () => resolve({ status: answer.statusCode ?? 502, body: Buffer.concat(parts) }));
      });
      upstream.on("error", reject);
      upstream.end();
    });
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const api = /^\/v2\/(.+)\/referrers\/([a-z0-9]+):([a-f0-9]+)$/.exec(url.pathname);
    if (api === null || req.method !== "GET") {
      const upstream = request({ hostname, port: Number(port), path: req.url, method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on("error", () => res.destroy());
      req.pipe(upstream);
      return;
    }
    asked.push(req.url ?? "");
    const [, name, alg, hex] = api;
    void forward("GET", `/v2/${name}/manifests/api-${alg}-${hex}`, { accept: INDEX }).then(({ status, body }) => {
      const all = status === 200 ? ((JSON.parse(body.toString("utf8")) as { manifests?: unknown[] }).manifests ?? []) : [];
      const page = Number(url.searchParams.get("page") ?? "0");
      const headers: Record<string, string> = { "content-type": INDEX };
      if (page + 1 < all.length) headers["link"] = `</v2/${name}/referrers/${alg}:${hex}?page=${page + 1}>; rel="next"`;
      res.writeHead(200, headers).end(JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests: all.slice(page, page + 1) }));
    }, () => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port: own } = server.address() as AddressInfo;
  return { host: `127.0.0.1:${own}`, asked, close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))) };
}
