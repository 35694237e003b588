// The two phases of an engine export, measured with a bare socket read (no scan): how long
// dockerd takes before the first byte, and how long the bytes then take to stream. Docker 20.10
// writes the whole `docker save` archive to its own temp dir before it sends a byte, so only the
// second phase can overlap with a scan: this is what target (a) is really measured against.
import { connect } from "node:net";
import { performance } from "node:perf_hooks";

/**
 * `GET /images/{ref}/get`, read and dropped.
 * @returns {Promise<{ firstByteMs: number, streamMs: number, bytes: number }>}
 */
export async function exportPhases(ref, env = process.env) {
  // where safebuild's own scan connects (DOCKER_HOST, else the docker context, else the default
  // socket); loaded here, so a missing dist/ is reported by the bench, not by an import error
  const { engineEndpoint } = await import("../dist/docker/engine-images.js");
  const engine = engineEndpoint(env);
  if (engine === undefined) throw new Error("the export phases need an engine reachable over unix:// or tcp://");
  const { socketPath, host, port } = engine.options;
  return new Promise((resolve, reject) => {
    const buffer = Buffer.allocUnsafeSlow(64 * 1024);
    const t0 = performance.now();
    let first = 0;
    let bytes = 0;
    const socket = connect({
      ...(socketPath ? { path: socketPath } : { host, port }),
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
