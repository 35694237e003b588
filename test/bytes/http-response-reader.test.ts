import { randomBytes } from "node:crypto";
import { describe, expect, test } from "vitest";
import { HttpResponseReader } from "../../src/bytes/http-response-reader.js";

/** Feeds `wire` cut at `cuts`, returns the status and the body, or throws what the reader threw. */
function read(wire: Buffer, cuts: readonly number[] = [], end = true): { status: number; body: Buffer; done: boolean } {
  const reader = new HttpResponseReader();
  const parts: Buffer[] = [];
  const bounds = [0, ...cuts.filter((c) => c > 0 && c < wire.length).sort((a, b) => a - b), wire.length];
  for (let i = 0; i + 1 < bounds.length; i++) {
    // Each piece sits at an offset inside a larger buffer, as a socket read buffer would.
    const piece = Buffer.concat([Buffer.from("junk"), wire.subarray(bounds[i], bounds[i + 1]), Buffer.from("junk")]);
    reader.feed(piece, 4, piece.length - 4, (bytes, start, stop) => parts.push(Buffer.from(bytes.subarray(start, stop))));
  }
  if (end && !reader.done) reader.end();
  return { status: reader.status, body: Buffer.concat(parts), done: reader.done };
}

const head = (lines: string[]): Buffer => Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1");
const chunked = (pieces: Buffer[], trailer = ""): Buffer =>
  Buffer.concat([
    head(["HTTP/1.1 200 OK", "Content-Type: application/x-tar", "Transfer-Encoding: chunked"]),
    ...pieces.flatMap((p) => [Buffer.from(`${p.length.toString(16)}\r\n`), p, Buffer.from("\r\n")]),
    Buffer.from(`0\r\n${trailer}\r\n`),
  ]);

describe("HttpResponseReader", () => {
  const body = randomBytes(300);
  const pieces = [body.subarray(0, 1), body.subarray(1, 130), body.subarray(130)];

  test("a chunked body, cut at every byte boundary, comes out whole", () => {
    const wire = chunked(pieces);
    for (let cut = 0; cut <= wire.length; cut++) {
      const got = read(wire, [cut]);
      expect(got.status).toBe(200);
      expect(got.body.equals(body)).toBe(true);
      expect(got.done).toBe(true);
    }
  });

  test("a chunked body fed one byte at a time, with chunk extensions and a trailer", () => {
    const wire = Buffer.concat([
      head(["HTTP/1.1 200 OK", "transfer-encoding: gzip, CHUNKED"]),
      Buffer.from(`${(5).toString(16)};name=value\r\n`),
      body.subarray(0, 5),
      Buffer.from("\r\n0\r\nX-Checksum: abc\r\n\r\n"),
    ]);
    const got = read(wire, Array.from({ length: wire.length }, (_, i) => i));
    expect(got.body.equals(body.subarray(0, 5))).toBe(true);
    expect(got.done).toBe(true);
  });

  test("a Content-Length body ends at its length; a body without either runs to the end of the connection", () => {
    const withLength = Buffer.concat([head(["HTTP/1.1 404 Not Found", `Content-Length: ${body.length}`]), body]);
    for (const cut of [1, 20, withLength.length - 1]) {
      const got = read(withLength, [cut], false);
      expect(got.status).toBe(404);
      expect(got.done).toBe(true);
      expect(got.body.equals(body)).toBe(true);
    }
    const toEof = Buffer.concat([head(["HTTP/1.0 200 OK"]), body]);
    expect(read(toEof, [7], false).done).toBe(false);
    expect(read(toEof, [7]).body.equals(body)).toBe(true);
    expect(read(head(["HTTP/1.1 204 No Content", "Content-Length: 0"]), [], false).done).toBe(true);
  });

  test("an interim 1xx answer is skipped; the final answer's status and body count", () => {
    const wire = Buffer.concat([head(["HTTP/1.1 100 Continue"]), head(["HTTP/1.1 103 Early Hints", "Link: </x>"]), chunked(pieces)]);
    for (const cut of [0, 10, 30, 60, 90]) {
      const got = read(wire, [cut]);
      expect(got.status).toBe(200);
      expect(got.body.equals(body)).toBe(true);
    }
  });

  test.each<[string, Buffer, RegExp]>([
    ["no status line", head(["SSH-2.0-OpenSSH_9.6", "X: y"]), /no HTTP status line/],
    ["a header without a colon", head(["HTTP/1.1 200 OK", "Transfer-Encoding chunked"]), /header is malformed/],
    ["a bad Content-Length", head(["HTTP/1.1 200 OK", "Content-Length: 12abc"]), /Content-Length/],
    ["a bad chunk size", Buffer.concat([head(["HTTP/1.1 200 OK", "Transfer-Encoding: chunked"]), Buffer.from("zz\r\n")]), /chunk size is malformed/],
    ["a chunk without its CRLF", Buffer.concat([head(["HTTP/1.1 200 OK", "Transfer-Encoding: chunked"]), Buffer.from("2\r\nabXY")]), /does not end with CRLF/],
    ["a head that never ends", Buffer.from(`HTTP/1.1 200 OK\r\nX: ${"a".repeat(70_000)}`), /head is too long/],
    ["bytes after the end", Buffer.concat([chunked(pieces), Buffer.from("HTTP/1.1 200 OK\r\n")]), /after the end/],
  ])("a malformed response throws: %s", (_name, wire, message) => {
    expect(() => read(wire, [], false)).toThrow(message);
  });

  test.each<[string, Buffer]>([
    ["in the head", Buffer.from("HTTP/1.1 200 OK\r\nTransfer-Enc")],
    ["inside a chunk", chunked(pieces).subarray(0, 120)],
    ["before the last chunk", chunked(pieces).subarray(0, chunked(pieces).length - 5)],
    ["short of its Content-Length", Buffer.concat([head(["HTTP/1.1 200 OK", "Content-Length: 10"]), Buffer.from("12345")])],
  ])("a response cut short %s is not complete: end() throws", (_name, wire) => {
    expect(() => read(wire)).toThrow(/ended early/);
  });
});
