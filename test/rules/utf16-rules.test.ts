import { describe, expect, test } from "vitest";
import { alnum, pem, token } from "./tokens.js";
import { findStream, findWhole, type Found } from "./find.js";

const BOM = Buffer.from([0xff, 0xfe]);
const utf16 = (text: string): Buffer => Buffer.concat([BOM, Buffer.from(text, "utf16le")]);
const pieces = (bytes: Buffer, size: number): Buffer[] => {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size));
  return out;
};
/** The rule ids found in the whole buffer and in a stream of `size`-byte pieces (they must agree). */
function found(bytes: Buffer, size = 7): Found[] {
  const whole = findWhole(bytes);
  expect(findStream(pieces(bytes, size)).rules).toEqual(whole);
  return whole;
}

describe("rules on UTF-16LE text (a Windows file): keywords in UTF-16LE, the window narrowed to 8 bits", () => {
  test.each([
    ["a GitHub token", "github-token", (v: string) => `GH=${v}\r\n`, () => token.github("p")],
    ["a GitHub token after an underscore", "github-token", (v: string) => `tok_${v}`, () => token.github("s")],
    ["a PEM private key with CRLF", "private-key", (v: string) => v.replace(/\n/g, "\r\n"), () => pem("PRIVATE KEY")],
    ["an OpenSSH private key", "private-key", (v: string) => `# deploy key\n${v}`, () => pem("OPENSSH PRIVATE KEY")],
  ])("%s is found, at its byte offset, with an 8-bit preview", (_, rule, wrap, make) => {
    const value = make();
    const text = wrap(value);
    const bytes = utf16(text);
    const got = found(bytes).filter((f) => f.rule === rule);
    expect(got).toHaveLength(1);
    if (rule === "github-token") {
      expect(got[0]!.offset).toBe(BOM.length + 2 * text.indexOf(value));
      expect(got[0]!.preview).toBe(`${value.slice(0, 2)}…${value.slice(-2)}`);
    } else {
      // the secret is the body after the header
      expect(got[0]!.offset).toBe(BOM.length + 2 * (text.indexOf("KEY-----") + 8));
    }
  });

  test("in a binary, at an odd offset, between other UTF-16 strings", () => {
    const value = token.github("o");
    const bytes = Buffer.concat([Buffer.from([0x4d, 0x5a, 0x90]), Buffer.from(`Copyright\0${value}\0Version`, "utf16le"), Buffer.alloc(5)]);
    const got = found(bytes, 13);
    expect(got.map((f) => [f.rule, f.offset])).toEqual([["github-token", 3 + 2 * "Copyright\0".length]]);
  });

  test.each([
    ["a short ghp_ look-alike", () => `GH=ghp_${alnum(20)}\r\n`],
    ["a public key", () => `-----BEGIN PUBLIC KEY-----\r\n${token.pemBody(270)}\r\n-----END PUBLIC KEY-----\r\n`],
    ["a key cut short in documentation", () => "-----BEGIN RSA PRIVATE KEY-----\r\n...\r\n-----END RSA PRIVATE KEY-----\r\n"],
    ["a header alone", () => `const HEADER = "-----BEGIN PRIVATE KEY-----"; ghp_${"x".repeat(36)}\r\n`],
  ])("stays quiet on %s, and finds the real token after it", (_, make) => {
    const lookalike = make();
    const value = token.github("u");
    const text = `${lookalike}GH=${value}\r\n`;
    expect(found(utf16(text)).map((f) => [f.rule, f.offset])).toEqual([["github-token", BOM.length + 2 * text.indexOf(value)]]);
  });

  test("8-bit text is searched as before: no window narrowed where there is no UTF-16 keyword", () => {
    const value = token.github("p");
    expect(found(Buffer.from(`GH=${value}\n`)).map((f) => [f.rule, f.offset])).toEqual([["github-token", 3]]);
  });
});
