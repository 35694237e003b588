import { mkdtempSync, rmSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer as createNetServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { pingEngine } from "../../src/docker/ping.js";

const dir = mkdtempSync(join(tmpdir(), "sbtest-ping-"));
const servers: Server[] = [];
const sockets = new Set<Socket>();
afterAll(() => {
  for (const s of sockets) s.destroy();
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
});
let serial = 0;

async function listen(server: Server): Promise<string> {
  const socketPath = join(dir, `e${serial++}.sock`);
  server.on("connection", (s: Socket) => sockets.add(s));
  servers.push(server);
  await new Promise<void>((r) => server.listen(socketPath, r));
  return `unix://${socketPath}`;
}

describe("pingEngine", () => {
  test("an engine answering 200 to /_ping is up; 500 is not", async () => {
    const seen: string[] = [];
    const up = await listen(createHttpServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.end("OK");
    }));
    expect(await pingEngine({ DOCKER_HOST: up }, undefined)).toBe(true);
    expect(seen).toEqual(["GET /_ping"]);
    const failing = await listen(createHttpServer((_req, res) => {
      res.statusCode = 500;
      res.end("no");
    }));
    expect(await pingEngine({ DOCKER_HOST: failing }, undefined)).toBe(false);
  });

  test.each<[string, (s: Socket) => void]>([
    ["not HTTP", (s) => void s.end("SSH-2.0-OpenSSH_9.6\r\n\r\n")],
    ["closes at once", (s) => void s.end()],
    ["never answers", () => undefined],
  ])("a socket that %s is not an engine (false, within the timeout)", async (_name, behave) => {
    const host = await listen(createNetServer(behave));
    expect(await pingEngine({ DOCKER_HOST: host }, undefined, 200)).toBe(false);
  });

  test("no socket, an engine safebuild cannot reach itself, or an aborted signal: false", async () => {
    expect(await pingEngine({ DOCKER_HOST: `unix://${join(dir, "none.sock")}` }, undefined)).toBe(false);
    expect(await pingEngine({ DOCKER_HOST: "ssh://user@host" }, undefined)).toBe(false);
    const silent = await listen(createNetServer(() => undefined));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    expect(await pingEngine({ DOCKER_HOST: silent }, controller.signal, 10_000)).toBe(false);
  });
});
