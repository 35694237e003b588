// The two phases of an engine export, measured with a bare socket read (no scan): how long
// dockerd takes before the first byte, and how long the bytes then take to stream. Docker 20.10
// writes the whole `docker save` archive to its own temp dir before it sends a byte, so only the
// second phase can overlap with a scan: this is what target (a) is really measured against.
import { connect } from "node:net";
import { performance } from "node:perf_hooks";
import { URL } from "node:url";

/** Where the engine listens: DOCKER_HOST when it is unix:// or plain tcp://, else the default socket. */
function endpoint(env) {
  const host = env.DOCKER_HOST ?? "";
  if (host.startsWith("unix://")) return { path: host.slice("unix://".length) };
  if (host.startsWith("tcp://") && !env.DOCKER_TLS_VERIFY) {
    const url = new URL(host.replace(/^tcp:/, "http:"));
    return { host: url.hostname, port: Number(url.port || 2375) };
  }
  return { path: "/var/run/docker.sock" };
}

/**
 * `GET /images/{ref}/get`, read and dropped.
 * @returns {Promise<{ firstByteMs: number, streamMs: number, bytes: number }>}
 */
export function exportPhases(ref, env = process.env) {
  return new Promise((resolve, reject) => {
    const buffer = Buffer.allocUnsafeSlow(64 * 1024);
    const t0 = performance.now();
    let first = 0;
    let bytes = 0;
    const socket = connect({
      ...endpoint(env),
      onread: {
        buffer,
        callback(count) {
          if (first === 0) first = performance.now();
          bytes += count;
        },
      },
    });
    socket.on("connect", () => socket.write(`GET /images/${encodeURIComponent(ref)}/get HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n`));
    socket.on("error", reject);
    socket.on("end", () => {
      const end = performance.now();
      if (first === 0) return reject(new Error("the engine closed the export without a byte"));
      resolve({ firstByteMs: first - t0, streamMs: end - first, bytes });
    });
  });
}
