import { validateHeaderName, validateHeaderValue } from "node:http";
import * as net from "node:net";
import * as tls from "node:tls";
import { BufferPool } from "../bytes/buffer-pool.js";
import { HttpResponseReader } from "../bytes/http-response-reader.js";
import type { TlsFiles } from "./tls.js";

const READ_BYTES = 64 * 1024;
/** body bytes are gathered into chunks this size: the layer reader is cheapest fed 1 MiB (bytes/pump.ts) */
const CHUNK_BYTES = 1024 * 1024;
/** chunks handed out and not yet walked before the socket is paused */
const READ_AHEAD = 2;

export interface RawRequest {
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly tls: TlsFiles;
  /** no bytes for this long: the request fails with ETIMEDOUT */
  readonly idleMs: number;
  readonly signal?: AbortSignal | undefined;
}

/** A 200's body as it streams: chunks to walk, each handed back once walked. */
export interface RawBody {
  /** The next chunk (borrowed until `walked`), or null after the last; rejects when the connection is lost. */
  next(): Promise<Buffer | null>;
  /** A chunk from `next` is walked: its buffer is refilled. */
  walked(chunk: Buffer): void;
  /** Drops the connection (idempotent). */
  close(): void;
}

const lost = (code: string, message: string): Error => Object.assign(new Error(message), { code });

type Answer = { status: number; body: RawBody | null };

/** One GET's connection: the socket's reads parsed, the body gathered into chunks, flow control. */
class RawExchange implements RawBody {
  readonly #reader = new HttpResponseReader();
  // chunk buffers handed back by the walk, refilled: at most the read-ahead and the one filling
  readonly #chunks = new BufferPool(CHUNK_BYTES, READ_AHEAD + 1);
  readonly #ready: Buffer[] = [];
  readonly #socket: net.Socket;
  #filling: Buffer | null = null;
  #filled = 0;
  #out = 0;
  #paused = false;
  #ended = false;
  #failure: Error | null = null;
  #answer: { resolve: (answer: Answer) => void; reject: (error: Error) => void } | null;
  #wake: (() => void) | null = null;

  constructor(request: RawRequest, resolve: (answer: Answer) => void, reject: (error: Error) => void) {
    this.#answer = { resolve, reject };
    const socket = (this.#socket = connect(request, { buffer: Buffer.allocUnsafeSlow(READ_BYTES), callback: this.#onRead }));
    const { url } = request;
    const head = [`GET ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`, "User-Agent: safebuild", "Connection: close"];
    for (const [name, value] of Object.entries(request.headers)) head.push(`${name}: ${value}`);
    socket.on(url.protocol === "https:" ? "secureConnect" : "connect", () => socket.write(`${head.join("\r\n")}\r\n\r\n`));
    socket.setTimeout(request.idleMs, () => this.#fail(lost("ETIMEDOUT", "timed out")));
    socket.on("error", (error: Error) => this.#fail(error));
    socket.on("end", () => this.#onEnd());
    const { signal } = request;
    if (signal) {
      const onAbort = (): void => this.#fail(signal.reason as Error);
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
      socket.once("close", () => signal.removeEventListener("abort", onAbort));
    }
  }

  async next(): Promise<Buffer | null> {
    for (;;) {
      const chunk = this.#ready.shift();
      if (chunk !== undefined) return chunk;
      if (this.#failure) throw this.#failure;
      if (this.#ended) return null;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  walked(chunk: Buffer): void {
    this.#out -= 1;
    this.#chunks.give(Buffer.from(chunk.buffer));
    if (this.#paused && this.#out < READ_AHEAD && !this.#ended && !this.#failure) {
      this.#paused = false;
      this.#socket.resume();
    }
  }

  close(): void {
    if (!this.#ended && !this.#failure) this.#failure = lost("ECONNRESET", "closed");
    this.#socket.destroy();
  }

  /** net's `onread`: false pauses the socket. */
  readonly #onRead = (count: number, bytes: Buffer): boolean => {
    if (this.#ended || this.#failure) return false;
    try {
      this.#reader.feed(bytes, 0, count, this.#onBody);
    } catch (error) {
      this.#fail(lost("EPROTO", (error as Error).message));
      return false;
    }
    const answer = this.#answer;
    if (answer !== null && this.#reader.headRead && this.#reader.status !== 0) {
      this.#answer = null;
      if (this.#reader.status !== 200) {
        this.#ended = true;
        this.#socket.destroy();
        answer.resolve({ status: this.#reader.status, body: null });
        return false;
      }
      answer.resolve({ status: 200, body: this });
    }
    if (this.#reader.done) {
      this.#finish();
      return false;
    }
    if (this.#ready.length > 0) this.#poke();
    this.#paused = this.#out >= READ_AHEAD;
    return !this.#paused;
  };

  readonly #onBody = (bytes: Uint8Array, start: number, end: number): void => {
    while (start < end) {
      const filling = (this.#filling ??= this.#chunks.take());
      const count = Math.min(end - start, CHUNK_BYTES - this.#filled);
      filling.set(bytes.subarray(start, start + count), this.#filled);
      this.#filled += count;
      start += count;
      if (this.#filled === CHUNK_BYTES) this.#post();
    }
  };

  #post(): void {
    if (this.#filling === null || this.#filled === 0) return;
    this.#ready.push(this.#filling.subarray(0, this.#filled));
    this.#out += 1;
    this.#filling = null;
    this.#filled = 0;
  }

  #onEnd(): void {
    if (this.#ended || this.#failure) return;
    try {
      this.#reader.end();
    } catch {
      return this.#fail(lost("ECONNRESET", this.#answer === null ? "the response ended early" : "closed before answering"));
    }
    this.#finish();
  }

  #finish(): void {
    this.#post();
    this.#ended = true;
    this.#socket.destroy();
    this.#poke();
  }

  #fail(error: Error): void {
    if (this.#ended || this.#failure) return;
    this.#failure = error;
    this.#socket.destroy();
    this.#answer?.reject(error);
    this.#answer = null;
    this.#poke();
  }

  #poke(): void {
    const resume = this.#wake;
    this.#wake = null;
    resume?.();
  }
}

/**
 * GET over a connection of its own, read into one reused buffer (net's `onread`) and parsed
 * by HttpResponseReader: node's http client allocates a fresh 64 KiB buffer per socket read,
 * which kept 40-55 MB of garbage between collections (and 30 full ones) on a 1 GB image.
 * Resolves with the status; the body only for a 200 (anything else is closed: the caller asks
 * again through its client, which follows redirects and renews tokens).
 */
export function rawGet(request: RawRequest): Promise<Answer> {
  // node's http client's own checks: a token server's reply must not add lines to the request
  for (const [name, value] of Object.entries(request.headers)) {
    try {
      validateHeaderName(name);
      validateHeaderValue(name, value);
    } catch {
      return Promise.reject(lost("ERR_INVALID_CHAR", `the ${name} header holds a character a request cannot carry`));
    }
  }
  return new Promise((resolve, reject) => void new RawExchange(request, resolve, reject));
}

function connect(request: RawRequest, onread: { buffer: Buffer; callback: (count: number, bytes: Buffer) => boolean }): net.Socket {
  const { url } = request;
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const secure = url.protocol === "https:";
  const port = Number(url.port || (secure ? 443 : 80));
  if (!secure) return net.connect({ host, port, onread });
  const { ca, cert, key } = request.tls;
  // tls.connect takes `onread` as net.connect does (node's docs; @types/node leaves it out)
  return tls.connect(
    Object.assign(
      { host, port, ca: [...ca], ...(net.isIP(host) ? {} : { servername: host }), ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }) },
      { onread },
    ),
  );
}
