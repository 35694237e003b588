import { createPrivateKey, type JsonWebKey } from "node:crypto";
import type { SubValue } from "../sub-value.js";
import { opensshNumbers, type OpensshNumbers } from "./openssh-key.js";

/**
 * The private numbers of a private key: what every format of the same key holds, whatever the
 * bytes around them. `openssl rsa -traditional`, `openssl pkcs8 -topk8`, `openssl ec`,
 * `ssh-keygen -p -m PEM`, `-outform DER`, a JWK and `openssl pkey -text` write the same key in
 * other bytes, each holding these numbers (as DER integers, mpints, base64url, colon hex).
 *
 * Only the private ones: RSA d, p, q, dp, dq, qi; an EC scalar; an Ed25519/X25519/Ed448/X448
 * seed. Never n, e, a public point or public key: certificates and `.pub` files of the key are
 * public, and must not be findings.
 */

/** Numbers under this are not needles: they would occur by chance. */
export const MIN_KEY_NUMBER_BYTES = 16;

/** A key's private numbers as sub-values, and what they are for `safebuild check` (names, never bytes). */
export interface KeyMaterial {
  /** `RSA d, p, q, dp, dq, qi` */
  readonly label: string;
  readonly subValues: SubValue[];
  /**
   * Where the private numbers lie in the key's bytes (the DER, the OpenSSH body), as
   * [start, end): the rest is structure and public numbers, which public files hold too.
   */
  readonly privateRanges: readonly (readonly [number, number])[];
}

/** PEM block types whose body is the DER of an unencrypted key, and how node reads it. */
const DER_TYPES: Readonly<Record<string, "pkcs8" | "pkcs1" | "sec1">> = { "PRIVATE KEY": "pkcs8", "RSA PRIVATE KEY": "pkcs1", "EC PRIVATE KEY": "sec1" };

/** The JWK members that are private, per key type (RFC 7518 6.2.2, 6.3.2; RFC 8037). */
const PRIVATE_MEMBERS: Readonly<Record<string, readonly string[]>> = { RSA: ["d", "p", "q", "dp", "dq", "qi"], EC: ["d"], OKP: ["d"] };

function withoutLeadingZeros(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i);
}

/**
 * The forms of one number: for a number with a width (an EC scalar in SEC1 and JWK, a seed),
 * the zero-padded form; and its minimal big-endian bytes (DER and mpint integers, RSA JWK
 * members, `openssl -text`). A leading 0x00 sign byte is not a form of its own: the base64
 * needles hold the number at each alignment, and every other form contains the number without it.
 */
function formsOf(bytes: Buffer, width?: number): Buffer[] {
  // copies: the buffers they were read from are wiped
  const minimal = Buffer.from(withoutLeadingZeros(bytes));
  const out = width !== undefined && width > minimal.length ? [Buffer.concat([Buffer.alloc(width - minimal.length), minimal]), minimal] : [minimal];
  return out.filter((b) => b.length >= MIN_KEY_NUMBER_BYTES);
}

/** A key's numbers as sub-values, and where they lie in `key` (its DER or OpenSSH body). */
function material(kind: string, numbers: OpensshNumbers["numbers"], key: Buffer): KeyMaterial | undefined {
  const subValues = numbers.flatMap((n) => formsOf(n.bytes, n.width)).map((bytes): SubValue => ({ encoding: "key-material", bytes }));
  if (subValues.length === 0) return undefined;
  const privateRanges = subValues.flatMap(({ bytes }) => {
    const at = key.indexOf(bytes);
    return at === -1 ? [] : [[at, at + bytes.length] as const];
  });
  return { label: `${kind} ${numbers.map((n) => n.name).join(", ")}`, subValues, privateRanges };
}

function fromDer(der: Buffer, type: "pkcs8" | "pkcs1" | "sec1"): OpensshNumbers | undefined {
  let jwk: JsonWebKey;
  try {
    jwk = createPrivateKey({ key: der, format: "der", type }).export({ format: "jwk" });
  } catch {
    // not a key node reads (garbage, an encrypted body), or one JWK cannot hold (DSA, RSA-PSS, DH)
    return undefined;
  }
  const members = PRIVATE_MEMBERS[jwk.kty ?? ""] ?? [];
  const numbers = members.flatMap((name) => {
    const value: unknown = jwk[name];
    if (typeof value !== "string") return [];
    const bytes = Buffer.from(value, "base64url");
    // an EC scalar is as wide as its field (JWK and SEC1 pad it); an OKP seed is a byte string
    return [{ name: jwk.kty === "OKP" ? "seed" : name, bytes, ...(jwk.kty === "RSA" ? {} : { width: bytes.length }) }];
  });
  const kind = jwk.kty === "RSA" ? "RSA" : `${jwk.kty === "EC" ? "EC " : ""}${jwk.crv ?? ""}`;
  return { kind, numbers };
}

/**
 * The private numbers of an unencrypted private key given as a PEM block's type and base64
 * body: PKCS#8, PKCS#1, SEC1 and OpenSSH. Encrypted keys (`ENCRYPTED PRIVATE KEY`, a
 * `Proc-Type: 4,ENCRYPTED` body, an OpenSSH key with a passphrase) give nothing.
 */
export function keyMaterialOf(type: string, body: string): KeyMaterial[] {
  const der = DER_TYPES[type];
  if (type !== "OPENSSH PRIVATE KEY" && der === undefined) return [];
  const bytes = Buffer.from(body, "base64");
  const keys = der === undefined ? opensshNumbers(bytes).map((k) => ({ ...k, kind: `OpenSSH ${k.kind}` })) : [fromDer(bytes, der)].filter((k) => k !== undefined);
  const out = keys.map((k) => material(k.kind, k.numbers, bytes)).filter((k) => k !== undefined);
  // the sub-values are copies; the numbers as read (slices of the body, or decoded) go
  for (const k of keys) for (const n of k.numbers) n.bytes.fill(0);
  bytes.fill(0);
  return out;
}
