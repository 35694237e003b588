import { randomBytes } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import { rawGet, type RawBody } from "../../src/registry/raw-get.js";

const noTls = { ca: [], cert: undefined, key: undefined };
const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A TCP server that answers each connection with `answer` (raw bytes, written in pieces). */
async function serve(answer: (socket: Socket, request: string) => void): Promise<{ url: (path: string) => URL; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((socket) => {
    let head = "";
    socket.on("data", (d: Buffer) => {
      head += d.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      requests.push(head);
      answer(socket, head);
    });
    socket.on("error", () => undefined);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { url: (path) => new URL(`http://127.0.0.1:${port}${path}`), requests };
}

/** Writes `parts` one per event-loop turn, so the client sees them in separate reads. */
function writeSlowly(socket: Socket, parts: readonly Buffer[], end = true): void {
  let i = 0;
  const step = (): void => {
    if (i < parts.length) socket.write(parts[i++]!, () => setImmediate(step));
    else if (end) socket.end();
  };
  step();
}

async function readAll(body: RawBody): Promise<Buffer> {
  const out: Buffer[] = [];
  for (let chunk = await body.next(); chunk !== null; chunk = await body.next()) {
    out.push(Buffer.from(chunk));
    body.walked(chunk);
  }
  return Buffer.concat(out);
}

const get = (url: URL, headers: Record<string, string> = {}, idleMs = 5000) => rawGet({ url, headers, tls: noTls, idleMs });

describe("rawGet: a blob body read into reused buffers", () => {
  const blob = randomBytes(3 * 1024 * 1024 + 12345);

  test("Content-Length delimited, in pieces of any size: every byte, in order; the request carries the path and headers", async () => {
    const pieces = [Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${blob.length}\r\n\r\n`), blob.subarray(0, 7), blob.subarray(7, 70_000), blob.subarray(70_000)];
    const server = await serve((socket) => writeSlowly(socket, pieces));
    const answer = await get(server.url("/v2/repo/blobs/sha256:abc?x=1"), { authorization: "Bearer t0k" });
    expect(answer.status).toBe(200);
    expect((await readAll(answer.body!)).equals(blob)).toBe(true);
    expect(server.requests[0]).toMatch(/^GET \/v2\/repo\/blobs\/sha256:abc\?x=1 HTTP\/1\.1\r\nHost: 127\.0\.0\.1:\d+\r\n/);
    expect(server.requests[0]).toContain("\r\nauthorization: Bearer t0k\r\n");
  });

  test("chunked, with an interim 100 first", async () => {
    const chunked = [0, 1, 65_536, 1_000_000, blob.length].flatMap((at, i, all) =>
      i === all.length - 1 ? [] : [Buffer.from(`${(all[i + 1]! - at).toString(16)}\r\n`), blob.subarray(at, all[i + 1]), Buffer.from("\r\n")],
    );
    const pieces = [Buffer.from("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), ...chunked.filter((b) => b.length > 0), Buffer.from("0\r\n\r\n")];
    const server = await serve((socket) => writeSlowly(socket, pieces, false));
    const answer = await get(server.url("/b"));
    expect((await readAll(answer.body!)).equals(blob)).toBe(true);
  });

  test("any status but 200 is answered without a body and the connection is dropped", async () => {
    for (const status of [307, 401, 404, 429]) {
      let closed = false;
      const server = await serve((socket) => {
        socket.on("close", () => (closed = true));
        socket.write(`HTTP/1.1 ${status} X\r\nContent-Length: 100000\r\n\r\n`);
      });
      expect(await get(server.url("/b"))).toEqual({ status, body: null });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(closed, `${status}`).toBe(true);
    }
  });

  test("a body cut short is an error, never a short blob", async () => {
    const server = await serve((socket) => writeSlowly(socket, [Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${blob.length}\r\n\r\n`), blob.subarray(0, 100_000)]));
    const answer = await get(server.url("/b"));
    await expect(readAll(answer.body!)).rejects.toMatchObject({ code: "ECONNRESET", message: "the response ended early" });
  });

  test("a connection closed before any answer, a malformed answer, and silence are errors", async () => {
    const closing = await serve((socket) => socket.end());
    await expect(get(closing.url("/b"))).rejects.toMatchObject({ code: "ECONNRESET" });
    const garbage = await serve((socket) => socket.end("SSH-2.0-OpenSSH\r\n\r\n"));
    await expect(get(garbage.url("/b"))).rejects.toMatchObject({ code: "EPROTO" });
    const silent = await serve(() => undefined);
    await expect(get(silent.url("/b"), {}, 300)).rejects.toMatchObject({ code: "ETIMEDOUT" });
  });

  test("a header value with a line break (a hostile token server's token) is refused before anything is sent", async () => {
    const server = await serve((socket) => socket.end("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
    await expect(get(server.url("/b"), { authorization: "Bearer x\r\nX-Injected: 1" })).rejects.toMatchObject({ code: "ERR_INVALID_CHAR", message: "the authorization header holds a character a request cannot carry" });
    expect(server.requests).toEqual([]);
  });

  test("a consumer that does not keep up pauses the socket: at most two chunks are read ahead", async () => {
    const big = randomBytes(40 * 1024 * 1024);
    let writtenAll = false;
    const server = await serve((socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${big.length}\r\n\r\n`);
      socket.write(big, () => (writtenAll = true));
    });
    const answer = await get(server.url("/b"));
    const first = await answer.body!.next();
    const second = await answer.body!.next();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(writtenAll).toBe(false);
    answer.body!.walked(first!);
    answer.body!.walked(second!);
    const rest = await readAll(answer.body!);
    expect(first!.length + second!.length + rest.length).toBe(big.length);
    expect(writtenAll).toBe(true);
  });
});
