import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { BUILTIN_RULES } from "../../src/rules/builtin-rules.js";
import { compileRules } from "../../src/rules/compile-rules.js";
import { armouredKeyDigest, PUBLIC_TEST_KEYS } from "../../src/rules/public-test-keys.js";
import { libgnutls, libmbedx509, opensslBinary } from "../helpers/system-library.js";
import { findDerKeys } from "../../src/rules/der-private-key.js";
import { findWhole } from "./find.js";

/** A fresh key as PKCS#8 PEM, and the SHA-256 of its DER (node's crypto, not the code under test). */
function freshKey(): { pem: string; digest: string } {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const der = privateKey.export({ type: "pkcs8", format: "der" });
  return { pem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(), digest: createHash("sha256").update(der).digest("hex") };
}

/** One whose base64 holds a `+`, so the escaped forms below differ from the plain one. */
let published = freshKey();
while (!published.pem.includes("+")) published = freshKey();
/** The built-in private-key rule, with the fresh key standing for a published one. */
const rules = compileRules(
  BUILTIN_RULES.filter((r) => r.id === "private-key").map((rule) => ({ rule: { ...rule, allowKeyDigests: [published.digest] }, from: "test" })),
  () => true,
);
const wraps: [string, (pem: string) => string][] = [
  ["as is", (pem) => pem],
  ["CRLF", (pem) => pem.replace(/\n/g, "\r\n")],
  ["JSON", (pem) => JSON.stringify({ key: pem })],
  ["JSON inside JSON", (pem) => JSON.stringify({ v: JSON.stringify({ key: pem }) })],
  ["XML", (pem) => `<key>${pem.replace(/\n/g, "&#10;")}</key>`],
  // System.Text.Json: `+` as `\u002B`, `=` as `\u003D`
  ["System.Text.Json", (pem) => JSON.stringify({ key: pem }).replace(/\+/g, "\\u002B").replace(/=/g, "\\u003D")],
  ["a class file's constant", (pem) => `\xca\xfe\xba\xbe\x00\x00\x004\x01\x04\xc4${pem.trimEnd()}\x01\x00\x10PROBING_KEY`],
];

describe("keys software publishes for its self-tests", () => {
  test.each(wraps)("a listed key is quiet, another key in the same place is found (%s)", (_, wrap) => {
    expect(findWhole(wrap(published.pem), rules)).toEqual([]);
    expect(findWhole(wrap(freshKey().pem), rules).map((f) => f.rule)).toEqual(["private-key"]);
  });

  test("the digest is of the DER, whatever wraps the lines", () => {
    const body = published.pem.split("\n").slice(1, -2).join("\n");
    expect(armouredKeyDigest(Buffer.from(body))).toBe(published.digest);
    expect(armouredKeyDigest(Buffer.from(JSON.stringify(body).slice(1, -1)))).toBe(published.digest);
    expect(armouredKeyDigest(Buffer.from(body.replace(/\//g, "\\/")))).toBe(published.digest);
  });

  test("the built-in rules list netty's probing key, GnuTLS's 12 self-test keys, OpenSSL's 6 speed-test keys and mbedTLS's 6 test keys (8 forms)", () => {
    expect(Object.keys(PUBLIC_TEST_KEYS)).toHaveLength(27);
    expect(BUILTIN_RULES.find((r) => r.id === "private-key")?.allowKeyDigests).toEqual(Object.keys(PUBLIC_TEST_KEYS));
    expect(BUILTIN_RULES.find((r) => r.id === "private-key-der")?.allowKeyDigests).toEqual(Object.keys(PUBLIC_TEST_KEYS));
  });

  test("a real key's base64 that spells a placeholder word is still a key (its body is a key's structure); random bytes spelling it are not", () => {
    const { pem } = freshKey();
    const body = pem.split("\n")[3]!;
    const word = body.slice(10, 17).toLowerCase();
    const rule = BUILTIN_RULES.find((r) => r.id === "private-key")!;
    const spelled = compileRules([{ rule: { ...rule, stopwords: [...(rule.stopwords ?? []), word] }, from: "test" }], () => true);
    expect(findWhole(pem, spelled).map((f) => f.rule)).toEqual(["private-key"]);
    const random = pem.replace(/^(?!-----)(.*)$/gm, (line) => (line.includes(body) ? line : Buffer.from(randomBytes(Math.floor((line.length * 3) / 4))).toString("base64").slice(0, line.length)));
    expect(findWhole(random, spelled).map((f) => f.rule)).toEqual([]);
  });

  // its keys, read from the real library
  const gnutls = libgnutls();
  test.skipIf(gnutls === undefined)("this machine's libgnutls: every self-test key is listed, so none is a finding", () => {
    const bytes = readFileSync(gnutls!);
    const blocks = bytes.toString("latin1").match(/-----BEGIN [A-Z ]*PRIVATE KEY-----/g) ?? [];
    expect(blocks.length).toBeGreaterThanOrEqual(10);
    expect(findWhole(bytes).filter((f) => f.rule === "private-key")).toEqual([]);
  });

  // mbedTLS 2.28 (Debian 12's libmbedx509-1): six keys, each in the library three times
  const mbedx509 = libmbedx509();
  test.skipIf(mbedx509 === undefined)("this machine's libmbedx509: its test certificates' keys are listed, so none is a finding", () => {
    const bytes = readFileSync(mbedx509!);
    const blocks = bytes.toString("latin1").match(/-----BEGIN [A-Z ]*PRIVATE KEY-----/g) ?? [];
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    expect(findWhole(bytes).filter((f) => f.rule === "private-key")).toEqual([]);
    // the same keys as certs.c's DER arrays (its client keys differ from their PEM strings)
    expect(derKeysIn(bytes)).toBeGreaterThanOrEqual(6);
    expect(findWhole(bytes).filter((f) => f.rule === "private-key-der")).toEqual([]);
  });

  // OpenSSL's `openssl speed` keys (apps/testrsa.h) are DER arrays in the binary
  const openssl = opensslBinary();
  test.skipIf(openssl === undefined)("this machine's openssl binary: its speed-test RSA keys are listed, so none is a finding", () => {
    const bytes = readFileSync(openssl!);
    expect(derKeysIn(bytes)).toBeGreaterThanOrEqual(6);
    expect(findWhole(bytes).filter((f) => f.rule === "private-key-der")).toEqual([]);
  });
});

/** How many DER private keys the bytes hold, listed or not. */
function derKeysIn(bytes: Buffer): number {
  let n = 0;
  findDerKeys(bytes, () => {
    n += 1;
    return true;
  });
  return n;
}
