import { createHash, createPrivateKey } from "node:crypto";
import { children, CONTEXT_0, INTEGER, OCTET_STRING, OID, readTlv, SEQUENCE, type Tlv } from "../bytes/der.js";

type KeyType = "pkcs8" | "pkcs1" | "sec1";

/** Curve OIDs with their tag and length: P-256, P-384, P-521, secp256k1. */
const CURVES = ["06082a8648ce3d030107", "06052b81040022", "06052b81040023", "06052b8104000a"];
/** Ed25519, X25519, Ed448, X448: a PKCS#8 AlgorithmIdentifier of one OID, then the OCTET STRING. */
const EDWARDS = ["2b6570", "2b656e", "2b6571", "2b656f"].map((oid) => `30050603${oid}04`);

/**
 * Byte runs only a private key's DER holds, and how far before them the key can start:
 * RSA's public exponent 65537 followed by the private exponent (128 bytes or more: an
 * RSAPublicKey ends at the exponent, so no certificate has this); a named curve followed by the
 * OCTET STRING of a PKCS#8 key or the `[1]` public key of a SEC1 one (a certificate's curve is
 * followed by a BIT STRING); an Edwards or Montgomery curve's PKCS#8 algorithm.
 */
const MARKERS: readonly { readonly hex: string; readonly back: number }[] = [
  // the private exponent's length in one byte (128-255: a 1024-bit key, or a 2048-bit one whose
  // exponent came out a few bits short, 1 in 128) or two; back: an 8192-bit modulus (1,025 bytes
  // and its header), the version, the SEQUENCE header
  ...["02030100010281", "02030100010282"].map((hex) => ({ hex, back: 1100 })),
  // back: the PKCS#8 header and algorithm
  ...CURVES.map((curve) => ({ hex: `${curve}04`, back: 32 })),
  // back: the SEC1 header, version and a P-521 key (66 bytes), its `[0]` header
  ...CURVES.map((curve) => ({ hex: `${curve}a1`, back: 96 })),
  ...EDWARDS.map((hex) => ({ hex, back: 8 })),
];

/** The markers, as keywords of the rule (compile-rules.ts). */
export const DER_KEY_KEYWORDS: readonly Buffer[] = MARKERS.map((m) => Buffer.from(m.hex, "hex"));
/** How far a key reaches after a marker: an 8192-bit RSA key's private exponent and primes. */
export const DER_KEY_AFTER = 4096;
export const DER_KEY_BEFORE = Math.max(...MARKERS.map((m) => m.back)) + 32;

const isInteger = (t: Tlv): boolean => t.tag === INTEGER && t.end > t.start;
const smallInteger = (buf: Buffer, t: Tlv, value: number): boolean => t.tag === INTEGER && t.end === t.start + 1 && buf[t.start] === value;

/** The DER structure a SEQUENCE at `at` is, judged by its fields: PKCS#8, PKCS#1 RSA or SEC1 EC; null for anything else. */
function keyTypeAt(buf: Buffer, seq: Tlv): KeyType | null {
  const fields = children(buf, seq);
  if (fields === null || fields.length < 3) return null;
  const [version, second, third] = fields as [Tlv, Tlv, Tlv];
  // PrivateKeyInfo / OneAsymmetricKey (RFC 5958): version 0 or 1, an algorithm, the key, then attributes or a public key
  if ((smallInteger(buf, version, 0) || smallInteger(buf, version, 1)) && second.tag === SEQUENCE && readTlv(buf, second.start, second.end)?.tag === OID && third.tag === OCTET_STRING && fields.length <= 5) return "pkcs8";
  // RSAPrivateKey (RFC 8017): version 0 and eight integers
  if (smallInteger(buf, version, 0) && fields.length === 9 && fields.every(isInteger)) return "pkcs1";
  // ECPrivateKey (RFC 5915): version 1, the key, then [0] parameters and/or [1] public key
  if (smallInteger(buf, version, 1) && second.tag === OCTET_STRING && fields.slice(2).every((f) => f.tag === CONTEXT_0 || f.tag === CONTEXT_0 + 1) && fields.length <= 4) return "sec1";
  return null;
}

/** Bytes a key ends with that are its numbers (or public point): 32 random bytes hold about 30 distinct values. */
const TAIL = 32;
const MIN_DISTINCT = 20;

/**
 * Whether a key's last 32 bytes look like key material: any 32 bytes are an X25519 or Ed25519
 * key, so a PKCS#8 prefix that code holds as a constant (pyca/cryptography's `pkcs8_prefix`)
 * followed by whatever the file has next parses as one.
 */
function endsInKeyMaterial(der: Buffer): boolean {
  const seen = new Set(der.subarray(der.length - TAIL));
  return seen.size >= MIN_DISTINCT;
}

/** Whether node's own parser takes the bytes as a private key of that structure: the last word on a candidate. */
function parsesAsKey(der: Buffer, type: KeyType): boolean {
  try {
    createPrivateKey({ key: der, format: "der", type });
    return true;
  } catch {
    return false;
  }
}

/** A key's DER around a marker at `marker`: the SEQUENCE that starts within `back` bytes before it and holds it. */
function keyAround(buf: Buffer, marker: number, back: number): { start: number; end: number; type: KeyType } | null {
  for (let at = marker - 1; at >= Math.max(0, marker - back); at--) {
    if (buf[at] !== SEQUENCE) continue;
    const seq = readTlv(buf, at);
    if (seq === null || seq.end <= marker) continue;
    const type = keyTypeAt(buf, seq);
    const der = buf.subarray(at, seq.end);
    if (type !== null && endsInKeyMaterial(der) && parsesAsKey(der, type)) return { start: at, end: seq.end, type };
  }
  return null;
}

/** The PKCS#8 key whose OCTET STRING is exactly [start, end), when one wraps it: one key, one finding. */
function wrapperOf(buf: Buffer, start: number, end: number): { start: number; end: number } | null {
  for (let at = start - 1; at >= Math.max(0, start - 40); at--) {
    if (buf[at] !== SEQUENCE) continue;
    const seq = readTlv(buf, at);
    if (seq === null || seq.end < end) continue;
    const fields = children(buf, seq);
    const key = fields?.[2];
    if (key !== undefined && key.tag === OCTET_STRING && key.start === start && key.end === end && keyTypeAt(buf, seq) === "pkcs8") return { start: at, end: seq.end };
  }
  return null;
}

/**
 * Private keys as binary DER in `window` (`openssl … -outform DER`, a `.der`/`.pk8` file, Java's
 * PKCS#8 key files, a PKCS#12 keystore's keys once the content stage has opened it): [start, end)
 * of each whole key, once, outermost structure first. Written here: a regex cannot follow DER's
 * lengths, and node's own parser has the last word on each candidate.
 */
export function findDerKeys(window: Buffer, each: (start: number, end: number) => boolean): void {
  const seen = new Set<number>();
  for (const [i, marker] of DER_KEY_KEYWORDS.entries()) {
    for (let at = window.indexOf(marker); at !== -1; at = window.indexOf(marker, at + 1)) {
      const key = keyAround(window, at, MARKERS[i]!.back);
      if (key === null) continue;
      const outer = key.type === "pkcs8" ? null : wrapperOf(window, key.start, key.end);
      const { start, end } = outer ?? key;
      if (seen.has(start)) continue;
      seen.add(start);
      if (!each(start, end)) return;
    }
  }
}

/** The SHA-256 of a key's DER, as public-test-keys.ts lists them. */
export const derKeyDigest = (der: Uint8Array): string => createHash("sha256").update(der).digest("hex");
