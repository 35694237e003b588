import { randomBytes } from "node:crypto";
import { describe, expect, test } from "vitest";
import type { Encoding } from "../../src/match/variant.js";
import { variantsOf, wipeVariants } from "../../src/match/variants.js";

const of = (value: Buffer | string) => variantsOf("s", typeof value === "string" ? Buffer.from(value) : value);
const has = (value: Buffer | string, encoding: Encoding, bytes: string | Buffer) =>
  of(value).some((v) => v.encoding === encoding && v.bytes.equals(typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes));

describe("variantsOf", () => {
  const token = "tok_" + randomBytes(24).toString("base64url");
  const t = Buffer.from(token);

  test.each<[string, Encoding, string]>([
    ["raw", "raw", token],
    ["base64 padded", "base64", t.toString("base64")],
    ["hex lower", "hex", t.toString("hex")],
    ["hex upper", "hex", t.toString("hex").toUpperCase()],
  ])("%s", (_name, encoding, expected) => {
    expect(has(token, encoding, expected)).toBe(true);
  });

  test.each<[string, string, Encoding, string]>([
    ["percent upper", "a b/c:d", "url", "a%20b%2Fc%3Ad"],
    ["percent lower", "a b/c:d", "url", "a%20b%2fc%3ad"],
    ["form encoding", "a b/c", "url", "a+b%2Fc"],
    ["json quotes and backslashes", 'pa"ss\\word', "json", 'pa\\"ss\\\\word'],
    ["json control characters", "ab\u0001cd\tef", "json", "ab\\u0001cd\\tef"],
    ["json ascii-only", "pässwörd", "json", "p\\u00e4ssw\\u00f6rd"],
    ["json escaped slashes", "a/b/c/d", "json", "a\\/b\\/c\\/d"],
  ])("%s", (_name, value, encoding, expected) => {
    expect(has(value, encoding, Buffer.from(expected, "utf8"))).toBe(true);
  });

  test("base64url (named base64 when both alphabets give the same text)", () => {
    const value = Buffer.from([0xfb, 0xff, 0xbf, 0x41, 0x42, 0x43, 0xfb, 0xef]);
    expect(has(value, "base64url", value.toString("base64url"))).toBe(true);
    const plain = Buffer.from("abcdefghijkl");
    expect(has(plain, "base64", plain.toString("base64url"))).toBe(true);
  });

  test("base64 at all three alignments, determined characters only", () => {
    const value = Buffer.from("0123456789abcdef");
    for (const prefix of ["", "x", "xy"]) {
      for (const suffix of ["", "z", "zw"]) {
        const encoded = Buffer.concat([Buffer.from(prefix), value, Buffer.from(suffix)]).toString("base64");
        const found = of(value).filter((v) => v.encoding === "base64" && encoded.includes(v.bytes.toString("latin1")));
        expect(found.length, `prefix ${prefix.length}, suffix ${suffix.length}`).toBeGreaterThan(0);
        const url = Buffer.concat([Buffer.from(prefix), value, Buffer.from(suffix)]).toString("base64url");
        expect(of(value).some((v) => v.encoding.startsWith("base64") && url.includes(v.bytes.toString("latin1")))).toBe(true);
      }
    }
  });

  test("trailing newline: the value without it, and its encodings", () => {
    const vs = of(token + "\n");
    expect(vs.some((v) => v.encoding === "raw" && v.bytes.equals(t))).toBe(true);
    expect(vs.some((v) => v.encoding === "base64" && v.bytes.equals(Buffer.from(t.toString("base64"))))).toBe(true);
    expect(of(token + "\r\n").some((v) => v.encoding === "raw" && v.bytes.equals(t))).toBe(true);
  });

  test("lines of a multi-line value: 8 bytes or more, \\r trimmed", () => {
    const vs = of("first-line-long\r\nshort\r\nthird-line-long\n");
    const lines = vs.filter((v) => v.encoding === "line").map((v) => v.bytes.toString());
    expect(lines).toEqual(["first-line-long", "third-line-long"]);
  });

  test("a script's #! and set -euo pipefail lines are its shape: not searched alone; its other lines are", () => {
    const vs = of(`#!/bin/bash\nset -euo pipefail\nset -x\n#!/usr/bin/env bash\nexport API_TOKEN=${token}\nexec "$@"\n`);
    const lines = vs.filter((v) => v.encoding === "line").map((v) => v.bytes.toString());
    expect(lines).toEqual([`export API_TOKEN=${token}`]);
  });

  test.each<[string, string, string]>([
    ["npmrc _authToken", `//registry.npmjs.org/:_authToken=${token}\nalways-auth=true\n`, token],
    ["npmrc _auth decoded password", `_auth=${Buffer.from(`me:${token}`).toString("base64")}\n`, token],
    ["dotenv value", `NODE_ENV=production\nAPI_KEY="${token}"\n`, token],
    ["dotenv random-looking value", `FOO=${token}\n`, token],
    ["json string value", JSON.stringify({ client_id: "123", client_secret: token }), token],
    ["url password", `DATABASE_URL=postgres://app:${token}@db:5432/x`, token],
    ["url user:pass", `https://app:${token}@example.com/`, `app:${token}`],
    ["docker config auth", JSON.stringify({ auths: { "r.io": { auth: Buffer.from(`u:${token}`).toString("base64") } } }), token],
  ])("structured sub-value: %s", (_name, value, expected) => {
    expect(has(value, "field", expected)).toBe(true);
    expect(has(value, "base64", Buffer.from(expected).toString("base64"))).toBe(true);
  });

  test("no sub-values for public-looking fields", () => {
    const vs = of("NODE_ENV=production\nAUTH_URL=https://auth.example.com/\nDEBUG=true\n");
    expect(vs.filter((v) => v.encoding === "field")).toEqual([]);
  });

  test("PEM body without line breaks, and its DER bytes", () => {
    const der = randomBytes(300);
    const body = der.toString("base64");
    const pem = `-----BEGIN PRIVATE KEY-----\n${body.replace(/.{64}/g, "$&\n")}\n-----END PRIVATE KEY-----\n`;
    expect(has(pem, "pem", body)).toBe(true);
    expect(has(pem, "pem", der)).toBe(true);
    expect(has(pem, "line", body.slice(0, 64))).toBe(true);
    expect(has(JSON.stringify({ private_key: pem }), "pem", body)).toBe(true);
  });

  test("binary values get no JSON form, and every variant is distinct", () => {
    const value = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x41, 0x42, 0x43, 0x44, 0x0a]);
    const vs = of(value);
    expect(vs.some((v) => v.encoding === "json")).toBe(false);
    const keys = vs.map((v) => v.bytes.toString("hex"));
    expect(new Set(keys).size).toBe(keys.length);
  });

  test("dedupe keeps the first, most specific name", () => {
    // A hex-only value's lowercase hex equals its uppercase hex, and a plain token's JSON form is itself.
    const vs = of("12345678");
    expect(vs.filter((v) => v.bytes.equals(Buffer.from("12345678"))).map((v) => v.encoding)).toEqual(["raw"]);
  });

  test("variants are fresh buffers; wipeVariants zeroes them, not the value", () => {
    const value = Buffer.from(token);
    const vs = of(value);
    expect(vs[0]!.bytes).not.toBe(value);
    wipeVariants(vs);
    expect(vs.every((v) => v.bytes.every((b) => b === 0))).toBe(true);
    expect(value.toString()).toBe(token);
  });
});

test("sub-value extraction stays linear on a long single-line value", () => {
  // A 500 KiB value without newlines once took minutes (an unbounded scheme regex retried everywhere).
  // The test's own timeout is the bound; the result must still hold the raw value.
  for (const byte of [0x61, 0x2b, 0x3a]) {
    const value = Buffer.alloc(500 * 1024, byte);
    expect(variantsOf("big", value).some((v) => v.encoding === "raw" && v.bytes.equals(value))).toBe(true);
  }
});

test("percent-encoding includes the strict RFC 3986 form (Python quote, Go, curl escape !*'())", () => {
  const url = variantsOf("x", Buffer.from("S3cr3t!P*ss(w0rd)~x"))
    .filter((v) => v.encoding === "url")
    .map((v) => v.bytes.toString());
  expect(url).toEqual(expect.arrayContaining(["S3cr3t%21P%2Ass%28w0rd%29~x", "S3cr3t%21P%2ass%28w0rd%29~x"]));
});

describe("JSON escaped HTML-safe: .NET System.Text.Json's default, Newtonsoft's EscapeHtml", () => {
  // an AWS-style secret key: `+` and `/` in it
  const awsKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYz+Ab4Qq9Zk";
  test.each<[string, string, string]>([
    ["System.Text.Json: `+` upper-case hex, `/` as itself", awsKey, "wJalrXUtnFEMI/K7MDENG\\u002BbPxRfiCYz\\u002BAb4Qq9Zk"],
    ["lower-case hex", awsKey, "wJalrXUtnFEMI/K7MDENG\\u002bbPxRfiCYz\\u002bAb4Qq9Zk"],
    ["every character the default encoder escapes, non-ASCII too", "p+w'd\"x<y>z&q`r\u00e9-Tail9", "p\\u002Bw\\u0027d\\u0022x\\u003Cy\\u003Ez\\u0026q\\u0060r\\u00E9-Tail9"],
    ["short escapes and the backslash stay as they are", "a+b\\c\td-Longer1", "a\\u002Bb\\\\c\\td-Longer1"],
  ])("%s", (_name, value, expected) => {
    expect(has(value, "json", Buffer.from(expected, "utf8"))).toBe(true);
  });

  test("only a value with such a character gets the forms, one per hex case (needles cost matching time)", () => {
    expect(of("Ab3dEf6hIj9kLm2nOp5q").filter((v) => v.encoding === "json")).toEqual([]);
    const withPlus = of("Ab3dEf6h+j9kLm2nOp5q").filter((v) => v.encoding === "json").map((v) => v.bytes.toString());
    expect(withPlus.sort()).toEqual(["Ab3dEf6h\\u002Bj9kLm2nOp5q", "Ab3dEf6h\\u002bj9kLm2nOp5q"]);
  });
});
