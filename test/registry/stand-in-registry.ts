import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { afterEach, expect } from "vitest";
import type { AddressInfo } from "node:net";
import { sha256Digest, tarOf } from "../helpers/archives.js";

/**
 * A registry that misbehaves on purpose: the real distribution server cannot be made to
 * hang, rate-limit or serve bytes that miss their digest, so these cases use this stand-in.
 * Every request's method, path and Authorization header is recorded.
 */
export interface StandIn {
  readonly host: string;
  readonly seen: { path: string; authorization: string | undefined; method: string | undefined }[];
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export async function standIn(handler: Handler): Promise<StandIn> {
  const seen: StandIn["seen"] = [];
  const server: Server = createServer((req, res) => {
    seen.push({ path: req.url ?? "", authorization: req.headers.authorization, method: req.method });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    seen,
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/** `up(handler)` starts a stand-in that is closed after the test that started it (call at a test file's top level). */
export function standInsPerTest(): (handler: Handler) => Promise<StandIn> {
  const servers: StandIn[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });
  return async (handler) => {
    const server = await standIn(handler);
    servers.push(server);
    return server;
  };
}

/** A CLI run that failed as the registry docs say: one line on stderr, nothing on stdout, the exit code. */
export function expectOneLineError(run: { code: number | null; stdout: Buffer; stderr: Buffer; output: string }, code: number, message: RegExp): void {
  expect(run.code, run.output).toBe(code);
  expect(run.stdout.length).toBe(0);
  const lines = run.stderr.toString().trim().split("\n");
  expect(lines, run.output).toHaveLength(1);
  expect(lines[0]).toMatch(message);
}

export interface TinyImage {
  readonly manifest: Buffer;
  readonly blobs: Map<string, Buffer>;
  readonly manifestDigest: string;
}

/** One image, one uncompressed layer holding `leak.txt` with `content`: the smallest valid thing to serve. */
export async function tinyImage(content: string): Promise<TinyImage> {
  const layer = await tarOf([{ name: "leak.txt", data: Buffer.from(content) }]);
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: {}, rootfs: { type: "layers", diff_ids: [sha256Digest(layer)] }, history: [{ created_by: "COPY leak.txt /" }] }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha256Digest(config), size: config.length },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: sha256Digest(layer), size: layer.length }],
    }),
  );
  return { manifest, manifestDigest: sha256Digest(manifest), blobs: new Map([[sha256Digest(config), config], [sha256Digest(layer), layer]]) };
}

/** Serves `image` as a well-behaved anonymous registry would, at repository `t/app`, tag `1`. */
export function serving(image: TinyImage, override: (req: IncomingMessage, res: ServerResponse) => boolean = () => false): Handler {
  return (req, res) => {
    if (override(req, res)) return;
    const url = req.url ?? "";
    if (url === "/v2/") return void res.writeHead(200).end("{}");
    if (url === "/v2/t/app/manifests/1" || url === `/v2/t/app/manifests/${image.manifestDigest}`) {
      return void res.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json" }).end(image.manifest);
    }
    const blob = /^\/v2\/t\/app\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url)?.[1];
    const bytes = blob === undefined ? undefined : image.blobs.get(blob);
    if (bytes !== undefined) return void res.writeHead(200).end(bytes);
    res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ errors: [{ code: "MANIFEST_UNKNOWN", message: "unknown" }] }));
  };
}
