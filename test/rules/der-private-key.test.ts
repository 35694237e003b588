import { createHash, generateKeyPairSync, randomBytes, randomInt, type KeyObject } from "node:crypto";
import { describe, expect, test } from "vitest";
import { BUILTIN_RULES } from "../../src/rules/builtin-rules.js";
import { compileRules } from "../../src/rules/compile-rules.js";
import { findDerKeys } from "../../src/rules/der-private-key.js";
import { builtins, findStream, findWhole } from "./find.js";

type Pair = { privateKey: KeyObject; publicKey: KeyObject };
const rsa = (bits: number): Pair => generateKeyPairSync("rsa", { modulusLength: bits });
const ec = (namedCurve: string): Pair => generateKeyPairSync("ec", { namedCurve });
const der = (key: KeyObject, type: "pkcs8" | "pkcs1" | "sec1"): Buffer => key.export({ type, format: "der" }) as Buffer;

/** Keys as `openssl … -outform DER` and Java write them: [name, the key's DER]. */
const keys: [string, () => Buffer][] = [
  ["RSA-2048 PKCS#8", () => der(rsa(2048).privateKey, "pkcs8")],
  ["RSA-2048 PKCS#1", () => der(rsa(2048).privateKey, "pkcs1")],
  ["RSA-1024 PKCS#1", () => der(rsa(1024).privateKey, "pkcs1")],
  ["RSA-4096 PKCS#8", () => der(rsa(4096).privateKey, "pkcs8")],
  ["P-256 PKCS#8", () => der(ec("P-256").privateKey, "pkcs8")],
  ["P-256 SEC1", () => der(ec("P-256").privateKey, "sec1")],
  ["P-384 SEC1", () => der(ec("P-384").privateKey, "sec1")],
  ["P-521 PKCS#8", () => der(ec("P-521").privateKey, "pkcs8")],
  ["P-521 SEC1", () => der(ec("P-521").privateKey, "sec1")],
  ["secp256k1 SEC1", () => der(ec("secp256k1").privateKey, "sec1")],
  ["Ed25519", () => der(generateKeyPairSync("ed25519").privateKey, "pkcs8")],
  ["X25519", () => der(generateKeyPairSync("x25519").privateKey, "pkcs8")],
  ["Ed448", () => der(generateKeyPairSync("ed448").privateKey, "pkcs8")],
  // curves by their OIDs' arcs: brainpool's, ANSI X9.62's P-192, SECG's P-224
  ["brainpoolP256r1 SEC1", () => der(ec("brainpoolP256r1").privateKey, "sec1")],
  ["brainpoolP384r1 PKCS#8", () => der(ec("brainpoolP384r1").privateKey, "pkcs8")],
  ["P-192 SEC1", () => der(ec("prime192v1").privateKey, "sec1")],
  ["P-224 PKCS#8", () => der(ec("secp224r1").privateKey, "pkcs8")],
  // OneAsymmetricKey (RFC 5958): version 1 with the public key after the private one (BouncyCastle, ring), which node 20 does not parse itself
  ["Ed25519 v2 with its public key", () => oneAsymmetricKey(generateKeyPairSync("ed25519"))],
  // attributes after the key (a friendlyName in BMPString): the key's own bytes are judged, not the text after them
  ["P-256 PKCS#8 with a friendlyName attribute", () => withAttribute(der(ec("P-256").privateKey, "pkcs8"), "server certificate key")],
];

/** An Ed25519 key as version 1 with `[1]` its public key (RFC 8410's example's shape). */
function oneAsymmetricKey({ privateKey, publicKey }: Pair): Buffer {
  const v1 = der(privateKey, "pkcs8");
  const pub = (publicKey.export({ type: "spki", format: "der" }) as Buffer).subarray(-32);
  const body = Buffer.concat([Buffer.from("020101", "hex"), v1.subarray(5, v1.length), Buffer.from("812100", "hex"), pub]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

/** A PKCS#8 key with `[0]` attributes holding a friendlyName (PKCS#9) in BMPString after its key. */
function withAttribute(pkcs8: Buffer, name: string): Buffer {
  const text = Buffer.from(name, "utf16le").swap16();
  const bmp = Buffer.concat([Buffer.from([0x1e, text.length]), text]);
  const set = Buffer.concat([Buffer.from([0x31, bmp.length]), bmp]);
  const oid = Buffer.from("06092a864886f70d010914", "hex");
  const attr = Buffer.concat([Buffer.from([0x30, oid.length + set.length]), oid, set]);
  const attrs = Buffer.concat([Buffer.from([0xa0, attr.length]), attr]);
  const inner = readLength(pkcs8);
  const body = Buffer.concat([pkcs8.subarray(inner.header), attrs]);
  const length = body.length < 0x80 ? [body.length] : body.length < 0x100 ? [0x81, body.length] : [0x82, body.length >> 8, body.length & 0xff];
  return Buffer.concat([Buffer.from([0x30, ...length]), body]);
}

const readLength = (seq: Buffer): { header: number } => ({ header: seq[1]! < 0x80 ? 2 : 2 + (seq[1]! & 0x7f) });

const ids = (found: { rule: string }[]): string[] => found.map((f) => f.rule).filter((r) => r === "private-key-der");

describe("private-key-der: private keys as binary DER", () => {
  test.each(keys)("%s: found once, as the whole key, alone and among random bytes", (_name, make) => {
    const key = make();
    expect(ids(findWhole(key))).toEqual(["private-key-der"]);
    const before = randomBytes(randomInt(0, 3000));
    const found = findWhole(Buffer.concat([before, key, randomBytes(randomInt(0, 3000))])).filter((f) => f.rule === "private-key-der");
    expect(found).toHaveLength(1);
    expect(found[0]!.offset).toBe(before.length);
  });

  test("a key split across a stream's chunks at every kind of place is found once", () => {
    for (const [, make] of keys) {
      const key = make();
      const file = Buffer.concat([randomBytes(5000), key, randomBytes(100)]);
      const cuts = [...new Set(Array.from({ length: 6 }, () => randomInt(1, file.length)))].sort((a, b) => a - b);
      const pieces = [0, ...cuts].map((from, i) => file.subarray(from, cuts[i] ?? file.length));
      expect(ids(findStream(pieces).rules)).toEqual(["private-key-der"]);
    }
  });

  test("a file of 300 keys back to back (a key dump): every one found, within one window's bounds", () => {
    const dump = Array.from({ length: 300 }, () => der(ec("P-256").privateKey, "sec1"));
    const found: number[] = [];
    findDerKeys(Buffer.concat(dump), (start) => (found.push(start), true));
    expect(found).toHaveLength(300);
  });

  test("the PKCS#8 wrapping of an RSA key is one finding, at the wrapper (not a second at the PKCS#1 inside)", () => {
    const key = der(rsa(2048).privateKey, "pkcs8");
    const found = findWhole(key).filter((f) => f.rule === "private-key-der");
    expect(found.map((f) => f.offset)).toEqual([0]);
    expect(found[0]!.preview).toBe("0?…" + [...key.subarray(-2)].map((b) => (b >= 0x21 && b <= 0x7e ? String.fromCharCode(b) : "?")).join(""));
  });

  test("public keys and what certificates hold are not keys: SPKI and PKCS#1 public keys of every kind", () => {
    const publics = [rsa(2048), rsa(1024), ec("P-256"), ec("P-384"), ec("P-521"), ec("secp256k1"), generateKeyPairSync("ed25519")].flatMap(({ publicKey }) => [
      publicKey.export({ type: "spki", format: "der" }) as Buffer,
      ...(publicKey.asymmetricKeyType === "rsa" ? [publicKey.export({ type: "pkcs1", format: "der" }) as Buffer] : []),
    ]);
    for (const pub of publics) expect(ids(findWhole(Buffer.concat([randomBytes(64), pub, randomBytes(64)])))).toEqual([]);
  });

  test("a key's markers in bytes that are no key, a key cut short and a key whose length lies are not findings", () => {
    const key = der(rsa(2048).privateKey, "pkcs1");
    expect(ids(findWhole(key.subarray(0, key.length - 40)))).toEqual([]);
    const lying = Buffer.from(key);
    lying[3] = (lying[3]! + 7) & 0xff;
    expect(ids(findWhole(Buffer.concat([lying, randomBytes(20)])))).toEqual([]);
    // every marker planted in random bytes, and after a SEQUENCE header that could hold it
    const noise = Buffer.concat([
      ...["02030100010282", "06082a8648ce3d03010704", "06052b81040022a1", "300506032b657004"].map((hex) => Buffer.concat([Buffer.from("3082ffff020100", "hex"), randomBytes(300), Buffer.from(hex, "hex"), randomBytes(300)])),
    ]);
    expect(ids(findWhole(noise))).toEqual([]);
    // a PKCS#8 frame of the right shape around bytes that are no Ed25519 key: node's parser says no
    const frame = Buffer.concat([Buffer.from("302e020100300506032b6570042204", "hex"), Buffer.from([0x20 + 0x40]), randomBytes(33)]);
    expect(ids(findWhole(Buffer.concat([randomBytes(16), frame, randomBytes(16)])))).toEqual([]);
    // an encrypted PKCS#8 key is ciphertext: not read (as an encrypted PEM key's numbers are not)
    const encrypted = rsa(2048).privateKey.export({ type: "pkcs8", format: "der", cipher: "aes-256-cbc", passphrase: "x".repeat(12) });
    expect(ids(findWhole(encrypted))).toEqual([]);
  });

  test("a key software publishes for its self-tests (its DER's digest listed) is not a finding", () => {
    const key = der(ec("P-256").privateKey, "sec1");
    const rule = BUILTIN_RULES.find((r) => r.id === "private-key-der")!;
    const listed = compileRules([{ rule: { ...rule, allowKeyDigests: [createHash("sha256").update(key).digest("hex")] }, from: "test" }], () => true);
    expect(ids(findWhole(key, listed))).toEqual([]);
    expect(ids(findWhole(key, builtins))).toEqual(["private-key-der"]);
  });
});
