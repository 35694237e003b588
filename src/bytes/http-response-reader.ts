/**
 * Reads one HTTP/1.1 response from raw socket bytes: status line, headers, then a body that is
 * chunked, Content-Length delimited, or runs to the end of the connection. It exists because
 * the engine reader and registry blob reads fill their own reused buffer from the socket (net's
 * `onread`), which node's http client cannot parse from; a fresh 64 KiB buffer per socket read
 * held 40-55 MB of garbage between collections.
 */
export class HttpResponseReader {
  /** the status code, once the head is read (0 before) */
  status = 0;
  #state: "head" | "size" | "data" | "data-end" | "trailer" | "length" | "eof" | "done" = "head";
  #head = "";
  #line = "";
  #remaining = 0;

  /** The head has been read: `status` is known and body bytes may follow. */
  get headRead(): boolean {
    return this.#state !== "head";
  }

  /** The whole response has been read. */
  get done(): boolean {
    return this.#state === "done";
  }

  /**
   * Takes `bytes[from, to)`, passes body bytes on as ranges of `bytes` (borrowed: valid only
   * during the call), and throws an Error on a malformed response.
   */
  feed(bytes: Uint8Array, from: number, to: number, onBody: (bytes: Uint8Array, start: number, end: number) => void): void {
    let at = from;
    while (at < to) {
      switch (this.#state) {
        case "head": {
          const chunk = String.fromCharCode(...bytes.subarray(at, Math.min(to, at + 1024)));
          const seen = this.#head.length;
          this.#head += chunk;
          const end = this.#head.indexOf("\r\n\r\n");
          if (end === -1) {
            if (this.#head.length > 65536) throw new Error("the response head is too long");
            at += chunk.length;
            break;
          }
          at += end + 4 - seen;
          const head = this.#head.slice(0, end);
          this.#head = "";
          this.#readHead(head);
          break;
        }
        case "size": {
          const line = this.#lineByte(bytes[at++]!, 1024, "a chunk size line");
          if (line === null) break;
          const text = line.split(";")[0]!.trim();
          if (!/^[0-9a-fA-F]{1,12}$/.test(text)) throw new Error("a chunk size is malformed");
          this.#remaining = parseInt(text, 16);
          this.#state = this.#remaining === 0 ? "trailer" : "data";
          break;
        }
        case "data":
        case "length": {
          const take = Math.min(this.#remaining, to - at);
          onBody(bytes, at, at + take);
          at += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = this.#state === "data" ? "data-end" : "done";
          break;
        }
        case "data-end": {
          const byte = bytes[at++]!;
          if (byte === 0x0d && this.#line === "") this.#line = "\r";
          else if (byte === 0x0a) {
            this.#line = "";
            this.#state = "size";
          } else throw new Error("a chunk does not end with CRLF");
          break;
        }
        case "trailer": {
          if (this.#lineByte(bytes[at++]!, 65536, "the response trailer") === "") this.#state = "done";
          break;
        }
        case "eof":
          onBody(bytes, at, to);
          at = to;
          break;
        case "done":
          throw new Error("bytes after the end of the response");
      }
    }
  }

  /** The connection ended: complete only for a body that runs to the end of the connection. */
  end(): void {
    if (this.#state === "eof") this.#state = "done";
    if (this.#state !== "done") throw new Error("the response ended early");
  }

  /** Adds a byte to the line being read; at its LF, returns the line without its CR (else null). */
  #lineByte(byte: number, max: number, what: string): string | null {
    if (byte !== 0x0a) {
      if (this.#line.length > max) throw new Error(`${what} is too long`);
      this.#line += String.fromCharCode(byte);
      return null;
    }
    const line = this.#line.endsWith("\r") ? this.#line.slice(0, -1) : this.#line;
    this.#line = "";
    return line;
  }

  #readHead(head: string): void {
    const lines = head.split("\r\n");
    const status = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(lines[0]!);
    if (!status) throw new Error("the response has no HTTP status line");
    this.status = Number(status[1]);
    // An interim answer (100 Continue, 103 Early Hints) has no body; the real one follows.
    if (this.status >= 100 && this.status < 200 && this.status !== 101) {
      this.status = 0;
      return;
    }
    let chunked = false;
    let length = -1;
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon <= 0) throw new Error("a response header is malformed");
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === "transfer-encoding") chunked = value.toLowerCase().split(",").pop()!.trim() === "chunked";
      if (name === "content-length") {
        if (!/^\d{1,15}$/.test(value)) throw new Error("the Content-Length header is malformed");
        length = Number(value);
      }
    }
    if (chunked) this.#state = "size";
    else if (length >= 0) {
      this.#remaining = length;
      this.#state = length === 0 ? "done" : "length";
    } else this.#state = "eof";
  }
}
