import { createHash, createPrivateKey } from "node:crypto";
import { children, CONTEXT_0, INTEGER, OCTET_STRING, OID, readTlv, SEQUENCE, type Tlv } from "../bytes/der.js";

type KeyType = "pkcs8" | "pkcs1" | "sec1";

/**
 * Byte runs a private key's DER holds, and how far before them the key can start: RSA's public
 * exponent 65537 followed by another INTEGER (the private exponent: an RSAPublicKey ends at the
 * exponent); a named curve's OID (in every EC key, and in EC certificates too, whose candidates
 * the structure below turns down); the Edwards and Montgomery curves' PKCS#8 algorithm. Few on
 * purpose: each keyword is a needle of the SIMD pass, 64 to a pass (docs/performance.md).
 */
const MARKERS: readonly { readonly hex: string; readonly back: number }[] = [
  // back: an 8192-bit modulus (1,025 bytes and its header), the version, the SEQUENCE header
  { hex: "020301000102", back: 1100 },
  // EC keys by the arcs of their OIDs: ANSI X9.62's (id-ecPublicKey in every PKCS#8 EC key, the
  // P-192/P-256 curves, explicit prime-field parameters), SECG's (P-224, P-384, P-521,
  // secp256k1), brainpool's, SM2's. Back: a SEC1 key's header, version and a P-521 key (66
  // bytes), its `[0]` header and, with explicit parameters, their SEQUENCE and version
  ...["2a8648ce3d", "2b810400", "2b24030302080101", "2a811ccf5501822d"].map((hex) => ({ hex, back: 128 })),
  // Ed25519, X25519, Ed448, X448 (1.3.101.110-113) as PKCS#8 writes the algorithm
  { hex: "300506032b65", back: 8 },
];

const RSA_MARKER = 0;

/** The markers, as keywords of the rule (compile-rules.ts). */
export const DER_KEY_KEYWORDS: readonly Buffer[] = MARKERS.map((m) => Buffer.from(m.hex, "hex"));
/** How far a key reaches after a marker: an 8192-bit RSA key's private exponent and primes. */
export const DER_KEY_AFTER = 4096;
export const DER_KEY_BEFORE = Math.max(...MARKERS.map((m) => m.back)) + 32;

/** A key has 10 fields at most (a three-prime RSA key): more, and it is none, whatever it holds. */
const MAX_FIELDS = 10;
/**
 * Per window at most (a window is 64 KiB at most): markers looked at and candidates handed to
 * node's parser. A file of keys has a few per key; more is crafted, and the scan's time stays bounded.
 */
const MAX_MARKERS = 1024;
const MAX_PARSES = 1024;

const isInteger = (t: Tlv): boolean => t.tag === INTEGER && t.end > t.start;
const smallInteger = (buf: Buffer, t: Tlv, value: number): boolean => t.tag === INTEGER && t.end === t.start + 1 && buf[t.start] === value;

/** The DER structure a SEQUENCE's fields make: PKCS#8, PKCS#1 RSA or SEC1 EC; null for anything else. */
function typeOfFields(buf: Buffer, fields: readonly Tlv[]): KeyType | null {
  if (fields.length < 3) return null;
  const [version, second, third] = fields as [Tlv, Tlv, Tlv];
  // PrivateKeyInfo / OneAsymmetricKey (RFC 5958): version 0 or 1, an algorithm, the key, then attributes or a public key
  if ((smallInteger(buf, version, 0) || smallInteger(buf, version, 1)) && second.tag === SEQUENCE && readTlv(buf, second.start, second.end)?.tag === OID && third.tag === OCTET_STRING && fields.length <= 5) return "pkcs8";
  // RSAPrivateKey (RFC 8017): version 0 and eight integers; version 1 (more than two primes) and their SEQUENCE
  const numbers = fields.slice(0, 9).every(isInteger);
  if (smallInteger(buf, version, 0) && fields.length === 9 && numbers) return "pkcs1";
  if (smallInteger(buf, version, 1) && fields.length === 10 && numbers && fields[9]!.tag === SEQUENCE) return "pkcs1";
  // ECPrivateKey (RFC 5915): version 1, the key, then [0] parameters and/or [1] public key
  if (smallInteger(buf, version, 1) && second.tag === OCTET_STRING && fields.slice(2).every((f) => f.tag === CONTEXT_0 || f.tag === CONTEXT_0 + 1) && fields.length <= 4) return "sec1";
  return null;
}

/** The last bytes of a key's own material looked at: 32 random bytes hold about 30 distinct values. */
const TAIL = 32;
const MIN_DISTINCT_SHARE = 0.6;

/**
 * Whether a key's own bytes (PKCS#8's and SEC1's private key, PKCS#1's last number) look like
 * key material: any 32 bytes are an X25519 or Ed25519 key, so a PKCS#8 prefix that code holds
 * as a constant (pyca/cryptography's `pkcs8_prefix`) followed by whatever the file has next
 * parses as one. Not the structure's last bytes: attributes after the key may be text.
 */
function holdsKeyMaterial(buf: Buffer, fields: readonly Tlv[], type: KeyType): boolean {
  const own = type === "pkcs8" ? fields[2]! : type === "sec1" ? fields[1]! : fields[8]!;
  const material = buf.subarray(Math.max(own.start, own.end - TAIL), own.end);
  return new Set(material).size >= MIN_DISTINCT_SHARE * material.length;
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

/**
 * A OneAsymmetricKey (version 1, a `[1]` public key after the private one: BouncyCastle, ring)
 * as version 0 without its attributes and public key, which OpenSSL 3.0 (node 20) parses.
 */
function asVersion0(buf: Buffer, fields: readonly Tlv[]): Buffer {
  const body = Buffer.concat([Buffer.from([0x02, 0x01, 0x00]), buf.subarray(fields[1]!.at, fields[1]!.end), buf.subarray(fields[2]!.at, fields[2]!.end)]);
  const length = body.length < 0x80 ? [body.length] : body.length < 0x100 ? [0x81, body.length] : [0x82, body.length >> 8, body.length & 0xff];
  return Buffer.concat([Buffer.from([SEQUENCE, ...length]), body]);
}

/** What one window may still spend (MAX_PARSES). */
interface Budget {
  parses: number;
}

/** Whether the SEQUENCE is a private key: its fields' shape, its own bytes, then node's parser. */
function isKey(buf: Buffer, seq: Tlv, budget: Budget): KeyType | null {
  const fields = children(buf, seq, MAX_FIELDS);
  const type = fields === null ? null : typeOfFields(buf, fields);
  if (type === null || !holdsKeyMaterial(buf, fields!, type) || budget.parses <= 0) return null;
  budget.parses -= 1;
  if (parsesAsKey(buf.subarray(seq.at, seq.end), type)) return type;
  return type === "pkcs8" && smallInteger(buf, fields![0]!, 1) && parsesAsKey(asVersion0(buf, fields!), type) ? type : null;
}

/**
 * Whether an RSAPrivateKey can start at `at` with its modulus ending at `marker` (where the
 * exponent is): the header, version 0 or 1 and the modulus' INTEGER, checked before any walk of
 * its fields, so the 1,100 bytes looked back over cost a few reads each.
 */
function rsaStartsAt(buf: Buffer, at: number, marker: number): boolean {
  const seq = readTlv(buf, at);
  if (seq === null) return false;
  const s = seq.start;
  return buf[s] === INTEGER && buf[s + 1] === 1 && buf[s + 2]! <= 1 && readTlv(buf, s + 3)?.end === marker;
}

/** A key's DER around a marker at `marker`: the SEQUENCE that starts within `back` bytes before it and holds it. */
function keyAround(buf: Buffer, marker: number, back: number, rsa: boolean, budget: Budget): { start: number; end: number; type: KeyType } | null {
  for (let at = marker - 1; at >= Math.max(0, marker - back); at--) {
    if (buf[at] !== SEQUENCE || (rsa && !rsaStartsAt(buf, at, marker))) continue;
    const seq = readTlv(buf, at);
    if (seq === null || seq.end <= marker) continue;
    const type = isKey(buf, seq, budget);
    if (type !== null) return { start: at, end: seq.end, type };
  }
  return null;
}

/** The PKCS#8 key whose OCTET STRING is exactly [start, end), when one wraps it: one key, one finding. */
function wrapperOf(buf: Buffer, start: number, end: number): { start: number; end: number } | null {
  for (let at = start - 1; at >= Math.max(0, start - 40); at--) {
    if (buf[at] !== SEQUENCE) continue;
    const seq = readTlv(buf, at);
    if (seq === null || seq.end < end) continue;
    const fields = children(buf, seq, MAX_FIELDS);
    const key = fields?.[2];
    if (key !== undefined && key.tag === OCTET_STRING && key.start === start && key.end === end && typeOfFields(buf, fields!) === "pkcs8") return { start: at, end: seq.end };
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
  const budget: Budget = { parses: MAX_PARSES };
  let markers = 0;
  for (const [i, marker] of DER_KEY_KEYWORDS.entries()) {
    for (let at = window.indexOf(marker); at !== -1 && markers < MAX_MARKERS; at = window.indexOf(marker, at + 1)) {
      markers += 1;
      const key = keyAround(window, at, MARKERS[i]!.back, i === RSA_MARKER, budget);
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
