/**
 * The engine export's reader thread (started by export-reader.ts from this module's built
 * file). Its own event loop drains the socket while the main thread walks and matches: with
 * both on one thread, dockerd blocked on a full socket buffer each time the main thread was
 * busy, and the scan's ups and downs added to dockerd's. The socket is read into one reused
 * buffer (`onread`), the body gathered into chunks that travel to the main thread and back
 * (transferred, never copied).
 */
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import * as net from "node:net";
import * as tls from "node:tls";
import { HttpResponseReader } from "../bytes/http-response-reader.js";
import type { EngineAddress } from "./endpoint.js";
import type { ReaderCommand, ReaderMessage, ReaderSetup } from "./export-protocol.js";

const IDLE_MS = 20;

/** Gathers body bytes into chunk-sized buffers, posts them, and takes them back once walked. */
class Chunks {
  readonly #free: Buffer[] = [];
  #buffer: Buffer;
  #filled = 0;
  /** bytes posted and not yet handed back */
  outstanding = 0;
  // A partial chunk goes out once the socket has been quiet a while: the archive's last bytes
  // must not wait for the reply's end (dockerd removes its temp export before it ends it).
  #lastRead = 0;
  #idle: ReturnType<typeof setTimeout> | null = null;

  private readonly port: MessagePort;
  private readonly setup: ReaderSetup;
  private readonly finished: () => boolean;

  constructor(port: MessagePort, setup: ReaderSetup, finished: () => boolean) {
    this.port = port;
    this.setup = setup;
    this.finished = finished;
    this.#buffer = this.#take();
  }

  #take(): Buffer {
    return this.#free.pop() ?? Buffer.allocUnsafeSlow(this.setup.chunk);
  }

  readonly add = (bytes: Uint8Array, start: number, end: number): void => {
    while (start < end) {
      const count = Math.min(end - start, this.setup.chunk - this.#filled);
      this.#buffer.set(bytes.subarray(start, start + count), this.#filled);
      this.#filled += count;
      start += count;
      if (this.#filled === this.setup.chunk) this.post();
    }
  };

  post(): void {
    if (this.#filled === 0) return;
    const bytes = this.#buffer.buffer as ArrayBuffer;
    this.port.postMessage({ kind: "data", bytes, length: this.#filled } satisfies ReaderMessage, [bytes]);
    this.outstanding += this.#filled;
    this.#buffer = this.#take();
    this.#filled = 0;
  }

  /** A walked chunk back from the main thread: refilled if it is a whole one. */
  returned(bytes: ArrayBuffer, length: number): void {
    this.outstanding -= length;
    if (bytes.byteLength === this.setup.chunk) this.#free.push(Buffer.from(bytes));
  }

  /** After each socket read: a partial chunk is posted if no read follows for IDLE_MS. */
  read(): void {
    this.#lastRead = performance.now();
    if (this.#filled > 0 && this.#idle === null) this.#idle = setTimeout(this.#flushIdle, IDLE_MS);
  }

  readonly #flushIdle = (): void => {
    this.#idle = null;
    if (this.finished() || this.#filled === 0) return;
    const quiet = performance.now() - this.#lastRead;
    if (quiet >= IDLE_MS) this.post();
    else this.#idle = setTimeout(this.#flushIdle, IDLE_MS - quiet);
  };

  stopTimer(): void {
    if (this.#idle !== null) clearTimeout(this.#idle);
  }
}

/** One export: the socket, its response, and the flow control between both threads. */
class ExportReader {
  readonly #response = new HttpResponseReader();
  readonly #chunks: Chunks;
  #socket: net.Socket | null = null;
  #finished = false;
  #paused = false;
  #statusSent = false;

  private readonly port: MessagePort;
  private readonly setup: ReaderSetup;

  constructor(port: MessagePort, setup: ReaderSetup) {
    this.port = port;
    this.setup = setup;
    this.#chunks = new Chunks(port, setup, () => this.#finished);
    port.on("message", (command: ReaderCommand) => {
      if ("get" in command) this.connect(command.get, command.request);
      else this.#returned(command.bytes, command.length);
    });
  }

  #returned(bytes: ArrayBuffer, length: number): void {
    this.#chunks.returned(bytes, length);
    if (this.#paused && this.#chunks.outstanding < this.setup.readAhead / 2 && this.#socket) {
      this.#paused = false;
      this.#socket.resume();
    }
  }

  #stop(message: ReaderMessage): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#chunks.stopTimer();
    this.port.postMessage(message);
    this.#socket?.destroy();
    this.port.close();
  }

  /** net's `onread` callback: false pauses the socket. */
  readonly #onRead = (count: number, bytes: Buffer): boolean => {
    if (this.#finished) return false;
    try {
      this.#response.feed(bytes, 0, count, this.#chunks.add);
    } catch (error) {
      this.#stop({ kind: "failed", code: "EPROTO", connected: true, reason: (error as Error).message });
      return false;
    }
    if (this.#response.headRead && !this.#statusSent && !this.#sendStatus()) return false;
    if (this.#response.done) {
      this.#chunks.post();
      this.#stop({ kind: "end" });
      return false;
    }
    this.#chunks.read();
    if (this.#chunks.outstanding >= this.setup.readAhead) {
      this.#paused = true;
      return false;
    }
    return true;
  };

  /** Tells the main thread the status; anything but 200 ends the reading here. */
  #sendStatus(): boolean {
    this.#statusSent = true;
    this.port.postMessage({ kind: "status", status: this.#response.status } satisfies ReaderMessage);
    if (this.#response.status === 200) return true;
    this.#finished = true;
    this.#socket?.destroy();
    this.port.close();
    return false;
  }

  // the thread starts before the path is known (its start takes longer than an image inspect)
  connect(path: string, request: EngineAddress): void {
    if (this.#finished || this.#socket !== null) return;
    const { socketPath, host, port: tcpPort, tls: secure } = request;
    const onread = { buffer: Buffer.allocUnsafeSlow(65536), callback: this.#onRead };
    const where = socketPath ? { path: socketPath } : { host: host ?? "localhost", port: Number(tcpPort) };
    // a TLS endpoint: the request goes out only once the handshake (and the engine's certificate) is done
    // tls.connect takes `onread` as net.connect does (node's docs; @types/node leaves it out)
    const opened = secure ? tls.connect(Object.assign({ ...where, ...secure }, { onread })) : net.connect({ ...where, onread });
    this.#socket = opened;
    opened.on(secure ? "secureConnect" : "connect", () => opened.write(`GET ${path} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n`));
    opened.on("end", () => this.#ended());
    opened.on("error", (error: NodeJS.ErrnoException) =>
      this.#stop({ kind: "failed", code: typeof error.code === "string" ? error.code : "ECONNRESET", connected: this.#statusSent, reason: "" }),
    );
  }

  #ended(): void {
    if (this.#finished) return;
    try {
      this.#response.end();
    } catch {
      return this.#stop({ kind: "failed", code: "ECONNRESET", connected: this.#statusSent, reason: this.#statusSent ? "" : "closed" });
    }
    this.#chunks.post();
    this.#stop({ kind: "end" });
  }
}

if (parentPort !== null) new ExportReader(parentPort, workerData as ReaderSetup);
