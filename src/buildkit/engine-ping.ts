import { connect } from "node:net";
import { engineEndpoint } from "../scan/engine-source.js";
import { HttpResponseReader } from "../scan/http-response-reader.js";

const PING = "GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n";

/**
 * Whether the engine the CLI would use answers `GET /_ping`: 2–3 ms over its socket, against a
 * Go process started for `docker version`. Spoken over a plain socket: the first request of
 * node's http client costs 15–20 ms of lazy setup, which was most of this check. False for
 * anything safebuild cannot reach itself (ssh://, TLS), which then goes through the CLI's own
 * probes.
 */
export function pingEngine(env: NodeJS.ProcessEnv, signal: AbortSignal | undefined, timeoutMs = 3000): Promise<boolean> {
  const endpoint = engineEndpoint(env);
  if (endpoint === undefined || signal?.aborted) return Promise.resolve(false);
  const { socketPath, host, port } = endpoint.options;
  return new Promise((resolve) => {
    const socket = socketPath !== undefined ? connect({ path: socketPath }) : connect({ host: host ?? "localhost", port: Number(port) });
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
    socket.on("connect", () => socket.write(PING));
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
