import { request, createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A plain-HTTP pass-through in front of a loopback registry that records each request's Authorization header, method and path. */
export interface RecordingProxy {
  readonly host: string;
  readonly authorizations: (string | undefined)[];
  /** `METHOD PATH STATUS` of each request, in the order answered */
  readonly requests: string[];
  close(): Promise<void>;
}

export async function recordingProxy(target: string): Promise<RecordingProxy> {
  const authorizations: (string | undefined)[] = [];
  const requests: string[] = [];
  const [hostname, port] = target.split(":");
  const server: Server = createServer((req, res) => {
    authorizations.push(req.headers.authorization);
    const upstream = request({ hostname, port: Number(port), path: req.url, method: req.method, headers: req.headers }, (answer) => {
      requests.push(`${req.method ?? "?"} ${req.url ?? ""} ${answer.statusCode ?? 502}`);
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${address.port}`,
    authorizations,
    requests,
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
