import { createHash, randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { join } from "node:path";

/** How `/images/{id}/get` misbehaves. */
export type ExportMode =
  /** Half of a real `docker save` archive, then the connection is destroyed. */
  | "half-then-close"
  /** A few bytes of the archive, then nothing more (until the client goes away). */
  | "stall"
  /** The connection is closed before any answer (a restarting dockerd, a dropping proxy). */
  | "close-before-answer"
  /** The whole archive, as a healthy engine sends it. */
  | "whole"
  /** No such image: 404 to the inspect and to the export. */
  | "missing"
  /** No answer to the export at all (dockerd still writing its temp export), until the client goes away. */
  | "silent"
  /** The whole archive, then the reply stays open (dockerd removing its temp export) until the client goes away. */
  | "linger";

export interface FakeEngine {
  /** `unix:///…sock`, for DOCKER_HOST. */
  readonly host: string;
  /** Resolves when a client starts reading an export. */
  readonly exportStarted: Promise<void>;
  /** Whether the export connection is still open. */
  exportOpen(): boolean;
  close(): Promise<void>;
}

/**
 * A Docker Engine API stand-in on a unix socket: plausible answers to `/_ping`, `/version`
 * and `/images/{name}/json`, and an export that breaks the way `mode` says.
 */
export async function startFakeEngine(dir: string, archive: string, mode: ExportMode, options: { marker?: string; id?: string } = {}): Promise<FakeEngine> {
  const bytes = readFileSync(archive);
  // the id a real engine would give: the sha256 of the archive's config (unless the test says otherwise)
  const id = options.id ?? archiveImageId(bytes);
  const socketPath = join(dir, `engine-${randomBytes(4).toString("hex")}.sock`);
  const sockets = new Set<Socket>();
  let started: () => void = () => {};
  const exportStarted = new Promise<void>((r) => (started = r));
  let open = false;

  const json = (res: ServerResponse, body: unknown): void => {
    res.writeHead(200, { "Content-Type": "application/json", "Api-Version": "1.41" });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req, res) => {
    const url = req.url ?? "";
    if (url.endsWith("/_ping")) return void res.end("OK");
    if (url.endsWith("/version")) return json(res, { Version: "20.10.24", ApiVersion: "1.41", Os: "linux", Arch: "amd64" });
    if (mode === "missing" && /\/images\//.test(url)) {
      res.writeHead(404, { "Content-Type": "application/json" });
      return void res.end(JSON.stringify({ message: "No such image: sbtest-faults-fake:1" }));
    }
    if (/\/images\/.+\/json$/.test(url)) return json(res, { Id: id, RepoTags: ["sbtest-faults-fake:1"], Size: bytes.length });
    if (/\/images\/.+\/get$/.test(url)) {
      // for a child process (a `cmd:` secret) to see that the export was asked for
      if (options.marker !== undefined) writeFileSync(options.marker, url);
      if (mode === "close-before-answer") return void req.socket.destroy();
      open = true;
      req.socket.on("close", () => (open = false));
      if (mode === "silent") return void started();
      res.writeHead(200, { "Content-Type": "application/x-tar" });
      if (mode === "whole") {
        res.end(bytes);
      } else if (mode === "linger") {
        res.write(bytes);
      } else if (mode === "half-then-close") {
        res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => setTimeout(() => req.socket.destroy(), 50));
      } else {
        res.write(bytes.subarray(0, 1024));
      }
      started();
      return;
    }
    res.writeHead(404, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ message: `page not found: ${url}` }));
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  return {
    host: `unix://${socketPath}`,
    exportStarted,
    exportOpen: () => open,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** The members of an uncompressed tar (ustar sizes), by name. */
function tarMembers(tar: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (let at = 0; at + 512 <= tar.length; ) {
    const name = tar.toString("latin1", at, at + 100).replace(/\0.*$/s, "");
    if (name === "") break;
    const size = parseInt(tar.toString("latin1", at + 124, at + 136).replace(/\0.*$/s, "").trim() || "0", 8);
    out.set(name.replace(/^\.\//, ""), tar.subarray(at + 512, at + 512 + size));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

/** `sha256:` of the config manifest.json names: the image id of a docker-archive. */
export function archiveImageId(tar: Buffer): string {
  const members = tarMembers(tar);
  const manifest = JSON.parse(members.get("manifest.json")?.toString("utf8") ?? "null") as Array<{ Config: string }> | null;
  const config = manifest?.[0] === undefined ? undefined : members.get(manifest[0].Config);
  return config === undefined ? `sha256:${randomBytes(32).toString("hex")}` : `sha256:${createHash("sha256").update(config).digest("hex")}`;
}
