import { request } from "node:http";
import { engineEndpoint } from "../scan/engine-source.js";

/**
 * Whether the engine the CLI would use answers `GET /_ping`: a few milliseconds over its
 * socket, against a Go process started for `docker version`. False for anything safebuild
 * cannot reach itself (ssh://, TLS), which then goes through the CLI's own probes.
 */
export function pingEngine(env: NodeJS.ProcessEnv, signal: AbortSignal | undefined, timeoutMs = 3000): Promise<boolean> {
  const endpoint = engineEndpoint(env);
  if (endpoint === undefined) return Promise.resolve(false);
  const { options } = endpoint;
  return new Promise((resolve) => {
    const req = request({ ...options, path: "/_ping", method: "GET", headers: { Host: "docker" }, timeout: timeoutMs, signal }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
    req.end();
  });
}
