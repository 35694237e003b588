import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createNetServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { SafebuildError } from "../../src/errors.js";
import { Backlog } from "../../src/bytes/backlog.js";
import { engineExport } from "../../src/docker/export-reader.js";
import { prestartReaderThread, readerThreadWaiting, threadModule } from "../../src/docker/reader-thread.js";

const dir = mkdtempSync(join(tmpdir(), "sbtest-engine-reader-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let serial = 0;

async function listen(server: Server): Promise<string> {
  const socketPath = join(dir, `s${serial++}.sock`);
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  cleanups.push(() => new Promise<void>((r) => {
    for (const s of sockets) s.destroy();
    server.close(() => r());
  }));
  return socketPath;
}
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

const http = (handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> => listen(createHttpServer(handler));

const known = (path: string, subject: string) => Promise.resolve({ path, subject });

/** Pumps an export into memory (hash and length), optionally slowly; `written` sees each chunk reach the sink. */
async function drain(socketPath: string, options: { signal?: AbortSignal; slow?: () => Promise<void>; written?: () => void } = {}) {
  const exported = await engineExport({ socketPath }, "unix:///test.sock", known("/images/x/get", "sha256:abc"), { signal: options.signal });
  const hash = createHash("sha256");
  let length = 0;
  const backlog = new Backlog();
  try {
    await exported.pump(
      {
        write(chunk) {
          hash.update(chunk);
          length += chunk.length;
          options.written?.();
          if (options.slow) backlog.add(options.slow());
        },
        end() {},
      },
      backlog,
    );
  } finally {
    await exported.close();
  }
  return { digest: hash.digest("hex"), length };
}

const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

describe("engineExport: the engine's export read by a thread of its own", () => {
  test("a chunked body written in uneven pieces arrives whole and in order", async () => {
    const body = randomBytes(5 * 1024 * 1024 + 17);
    const socketPath = await http((_req, res) => {
      res.writeHead(200, { "Content-Type": "application/x-tar" });
      let at = 0;
      const next = (): void => {
        if (at >= body.length) return void res.end();
        const size = 1 + ((at * 7919) % 200_000);
        res.write(body.subarray(at, at + size), next);
        at += size;
      };
      next();
    });
    const got = await drain(socketPath);
    expect(got).toEqual({ digest: sha(body), length: body.length });
  });

  test("a slow walk keeps the reader at most its read-ahead in front (memory stays bounded)", async () => {
    const total = 64 * 1024 * 1024;
    let written = 0;
    let consumed = 0;
    let worstLead = 0;
    const piece = randomBytes(256 * 1024);
    const socketPath = await http((_req, res) => {
      res.writeHead(200);
      const next = (): void => {
        if (written >= total) return void res.end();
        written += piece.length;
        res.write(piece, next);
      };
      next();
    });
    const exported = await engineExport({ socketPath }, "unix:///test.sock", known("/images/x/get", "x"), {});
    const backlog = new Backlog();
    await exported.pump(
      {
        write(chunk) {
          consumed += chunk.length;
          worstLead = Math.max(worstLead, written - consumed);
          backlog.add(new Promise((r) => setTimeout(r, 10)));
        },
        end() {},
      },
      backlog,
    );
    await exported.close();
    expect(consumed).toBe(total);
    // 8 MiB of read-ahead, plus what the kernel and the server's own stream buffer hold.
    expect(worstLead).toBeLessThan(12 * 1024 * 1024);
  });

  test("404 is 'no such image' (input), another status an environment error, both before any byte is walked", async () => {
    const notFound = await http((_req, res) => {
      res.writeHead(404, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ message: "No such image: x" }));
    });
    await expect(drain(notFound)).rejects.toMatchObject({ exitCode: 2, message: "no such image: sha256:abc" });
    const broken = await http((_req, res) => {
      res.writeHead(500);
      res.end("boom");
    });
    await expect(drain(broken)).rejects.toMatchObject({ exitCode: 4, message: "the Docker engine answered 500 to an image export" });
  });

  test("a body cut off mid-chunk is a lost source (a system error), never a normal end", async () => {
    const socketPath = await http((req, res) => {
      res.writeHead(200);
      res.write(randomBytes(3 * 1024 * 1024), () => setTimeout(() => req.socket.destroy(), 20));
    });
    const error: unknown = await drain(socketPath).then(() => null, (e: unknown) => e);
    expect(error).toMatchObject({ syscall: "read" });
  });

  test("a reply that is not HTTP, and no engine at all, are environment errors naming the endpoint", async () => {
    const garbage = await listen(createNetServer((s) => s.end("SSH-2.0-OpenSSH_9.6\r\n\r\n")));
    const error = await drain(garbage).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(SafebuildError);
    expect(error).toMatchObject({ exitCode: 4, message: expect.stringMatching(/unix:\/\/\/test\.sock sent a malformed reply \(the response has no HTTP status line\)/) });
    const nobody = await drain(join(dir, "nothing-here.sock")).then(() => null, (e: unknown) => e);
    expect(nobody).toMatchObject({ exitCode: 4, message: "cannot reach the Docker engine at unix:///test.sock (ENOENT)" });
  });

  test.each<[string, (s: Socket) => void]>([
    ["accepts and closes", (s) => void s.end()],
    ["closes inside the head", (s) => void s.end("HTTP/1.1 200 OK\r\nContent-Le")],
  ])("an engine that %s before answering is an environment error, not a bug", async (_name, behave) => {
    const socketPath = await listen(createNetServer(behave));
    const error = await drain(socketPath).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(SafebuildError);
    expect(error).toMatchObject({ exitCode: 4, message: "the Docker engine at unix:///test.sock closed the connection before answering" });
  });

  test("a signal aborted before the export starts rejects with its reason", async () => {
    const socketPath = await http((_req, res) => {
      res.writeHead(200);
      res.write(randomBytes(1000));
    });
    const reason = new Error("already stopped");
    await expect(drain(socketPath, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });

  test("an abort while the engine stalls rejects with the signal's reason and closes the connection", async () => {
    let closed = false;
    const socketPath = await http((req, res) => {
      req.socket.on("close", () => (closed = true));
      res.writeHead(200);
      res.write(randomBytes(1000));
    });
    const controller = new AbortController();
    const reason = new Error("stop now");
    // Aborted once the engine's bytes have reached the sink, so the export is under way and then
    // stalls: a fixed delay fired, under load, before the thread had even connected.
    const written = (): void => void setTimeout(() => controller.abort(reason), 0);
    await expect(drain(socketPath, { signal: controller.signal, written })).rejects.toBe(reason);
    await expect.poll(() => closed, { timeout: 2000 }).toBe(true);
  });
});

describe("engineExport: the thread starts before the path is known", () => {
  test("the export is asked for, at the path the target gives, only once the target resolves", async () => {
    const body = randomBytes(3000);
    const asked: string[] = [];
    const socketPath = await http((req, res) => {
      asked.push(req.url ?? "");
      res.writeHead(200);
      res.end(body);
    });
    let know!: (target: { path: string; subject: string }) => void;
    const target = new Promise<{ path: string; subject: string }>((resolve) => (know = resolve));
    const pending = engineExport({ socketPath }, "unix:///test.sock", target, {});
    // long enough for the thread to start and connect, were it not waiting
    await new Promise((r) => setTimeout(r, 300));
    expect(asked).toEqual([]);
    know({ path: "/images/sha256:abc/get", subject: "sha256:abc" });
    const exported = await pending;
    const chunks: Buffer[] = [];
    try {
      await exported.pump({ write: (chunk) => void chunks.push(Buffer.from(chunk)), end() {} }, new Backlog());
    } finally {
      await exported.close();
    }
    expect(asked).toEqual(["/images/sha256:abc/get"]);
    expect(Buffer.concat(chunks).equals(body)).toBe(true);
  });

  test("a target that fails (no such image) is the error, and nothing is asked of the engine", async () => {
    let connections = 0;
    const server = createNetServer(() => (connections += 1));
    const socketPath = await listen(server);
    const missing = new SafebuildError("input", "no such image: gone:1", { exitCode: 2 });
    await expect(engineExport({ socketPath }, "unix:///test.sock", Promise.reject(missing), {})).rejects.toBe(missing);
    await new Promise((r) => setTimeout(r, 100));
    expect(connections).toBe(0);
  });

  test("a 404 names the target's subject", async () => {
    const socketPath = await http((_req, res) => {
      res.writeHead(404);
      res.end("{}");
    });
    const target = Promise.resolve({ path: "/images/sha256:def/get", subject: "sha256:def" });
    await expect(engineExport({ socketPath }, "unix:///test.sock", target, {})).rejects.toThrow("no such image: sha256:def");
  });
});

describe("prestartReaderThread: a thread started ahead of the export", () => {
  test("serves the next export, once; the one after starts its own", async () => {
    const body = randomBytes(3 * 1024 * 1024 + 5);
    const socketPath = await http((_req, res) => {
      res.writeHead(200, { "Content-Type": "application/x-tar" });
      res.end(body);
    });
    const prestarted = prestartReaderThread();
    expect(readerThreadWaiting()).toBe(true);
    expect(prestartReaderThread()).toBe(prestarted);
    expect(await drain(socketPath)).toEqual({ digest: sha(body), length: body.length });
    expect(readerThreadWaiting()).toBe(false);
    expect(await drain(socketPath)).toEqual({ digest: sha(body), length: body.length });
  });

  test("one that exited before it was needed is dropped, and the export still reads", async () => {
    const body = randomBytes(1024 * 1024 + 3);
    const socketPath = await http((_req, res) => {
      res.writeHead(200, { "Content-Type": "application/x-tar" });
      res.end(body);
    });
    const prestarted = prestartReaderThread();
    let exited = false;
    prestarted.once("exit", () => (exited = true));
    await prestarted.terminate();
    await expect.poll(() => exited).toBe(true);
    expect(await drain(socketPath)).toEqual({ digest: sha(body), length: body.length });
    expect(readerThreadWaiting()).toBe(false);
  });
});

describe("threadModule: where the reader thread's module is", () => {
  test("beside the built code, and tsc's build of it when run from the TypeScript source", () => {
    expect(threadModule("file:///app/dist/bin/chunks/chunk-1.js").href).toBe("file:///app/dist/bin/chunks/export-thread.js");
    expect(threadModule("file:///app/dist/docker/reader-thread.js").href).toBe("file:///app/dist/docker/export-thread.js");
    expect(threadModule("file:///app/src/docker/reader-thread.ts").href).toBe("file:///app/dist/docker/export-thread.js");
  });
});
