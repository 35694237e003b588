import { connect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { engineEndpoint } from "./engine-images.js";
import { HttpResponseReader } from "../bytes/http-response-reader.js";

const PING = "GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n";

/**
 * Whether the engine the CLI would use answers `GET /_ping`: 2–3 ms over its socket, against a
 * Go process started for `docker version`. Spoken over a plain socket: the first request of
 * node's http client costs 15–20 ms of lazy setup, which was most of this check. False for
 * anything safebuild cannot reach itself (ssh://), which then goes through the CLI's own
 * probes.
 */
export function pingEngine(env: NodeJS.ProcessEnv, signal: AbortSignal | undefined, timeoutMs = 3000): Promise<boolean> {
  let endpoint;
  try {
    endpoint = engineEndpoint(env);
  } catch {
    // an unreadable TLS file: the CLI's own probes say what is wrong
    return Promise.resolve(false);
  }
  if (endpoint === undefined || signal?.aborted) return Promise.resolve(false);
  const { socketPath, host, port, tls } = endpoint.options;
  return new Promise((resolve) => {
    const where = socketPath !== undefined ? { path: socketPath } : { host: host ?? "localhost", port: Number(port) };
    // a TLS endpoint is pinged over TLS (the request waits for the handshake), never in plain text
    const socket = tls === undefined ? connect(where) : tlsConnect({ ...where, ...tls });
    const reply = new HttpResponseReader();
    let settled = false;
    const finish = (answered: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", down);
      socket.destroy();
      resolve(answered);
    };
    const down = (): void => finish(false);
    const timer = setTimeout(down, timeoutMs);
    signal?.addEventListener("abort", down, { once: true });
    socket.on(tls === undefined ? "connect" : "secureConnect", () => socket.write(PING));
    socket.on("data", (chunk: Buffer) => {
      try {
        reply.feed(chunk, 0, chunk.length, () => undefined);
      } catch {
        return finish(false);
      }
      if (reply.headRead) finish(reply.status === 200);
    });
    socket.on("error", down);
    socket.on("close", down);
  });
}
