import { createPrivateKey } from "node:crypto";
import { memberPath } from "./content-report.js";
import { emit, gathered, type Decoder, type DecoderContext } from "./decoder.js";
import { CONTENT_LIMITS } from "./limits.js";
import { children, CONTEXT_0, INTEGER, OCTET_STRING, OID, oidBytes, PKCS7_DATA, readTlv, SEQUENCE, type Tlv } from "../../bytes/der.js";

// PKCS#7 and PKCS#12 object identifiers (RFC 7292), as DER content bytes
const KEY_BAG = oidBytes("2a864886f70d010c0a0101");
const SHROUDED_KEY_BAG = oidBytes("2a864886f70d010c0a0102");
const SAFE_CONTENTS_BAG = oidBytes("2a864886f70d010c0a0106");
const PBES2 = oidBytes("2a864886f70d01050d");
const PKCS12_PBE_PREFIX = oidBytes("2a864886f70d010c01");

/**
 * The passwords keystores ship with: none, Java's `changeit` (its cacerts, Spring Boot and
 * Tomcat examples), and the few others documentation writes. A key under one of them is as good
 * as in the clear.
 */
const STOCK_PASSWORDS = ["", "changeit", "changeme", "password", "secret", "123456"];
/** PBKDF2 rounds tried per password at most: OpenSSL writes 2,048, Java 10,000; a hostile file cannot make the scan spin */
const MAX_ITERATIONS = 200_000;
const MAX_KEYS = 16;
const MAX_NESTING = 4;

/**
 * A PKCS#12 keystore (`.p12`, `.pfx`: `openssl pkcs12 -export`, Java's keytool, a Spring Boot
 * `server.ssl.key-store`): its private keys, in the clear or encrypted under a stock password,
 * decrypted and searched as PKCS#8 DER (`!/key-1`), so a given key is found in the keystore
 * as in any other form it takes. Keys under another password are not read (as an encrypted PEM
 * key's numbers are not: docs/audit-encodings.md), nor the certificates (public).
 */
export const pkcs12Decoder: Decoder = (dc) => gathered(dc, "pkcs12", (input) => readPfx(dc, input));

function readPfx(dc: DecoderContext, pfx: Buffer): void {
  const top = readTlv(pfx, 0);
  const fields = top === null ? null : children(pfx, top);
  const authSafe = fields?.[1];
  const octets = authSafe === undefined ? null : dataContent(pfx, authSafe);
  const infos = octets === null ? null : sequenceOf(pfx, octets);
  if (infos === null) return dc.report.unreadable(dc.inner, "pkcs12: structure unreadable");
  const keys: Buffer[] = [];
  const opened = { spent: false };
  for (const info of infos) {
    // encryptedData (the certificates, as OpenSSL and keytool write them) is not read
    const safe = dataContent(pfx, info);
    if (safe !== null) readBags(dc, pfx, safe, keys, 0, opened);
  }
  // a key under a password of its own is no leak of it, as an encrypted PEM key is not: not reported
  keys.forEach((key, i) => emit(dc, memberPath(dc.inner, `key-${i + 1}`), "pkcs12", key));
  keys.forEach((key) => key.fill(0));
  if (opened.spent) dc.report.notSearched(dc.inner, `pkcs12: keys not tried under the stock passwords: the scan's allowance for opening keystores (${CONTENT_LIMITS.maxKdfRounds.toLocaleString("en-US")} PBKDF2 rounds, limit per scan) is spent`);
}

/** A ContentInfo of type data: its OCTET STRING's element; null for another type. */
function dataContent(buf: Buffer, info: Tlv): Tlv | null {
  const parts = children(buf, info);
  if (parts === null || parts.length < 2 || parts[0]!.tag !== OID || !same(buf, parts[0]!, PKCS7_DATA) || parts[1]!.tag !== CONTEXT_0) return null;
  const octets = readTlv(buf, parts[1]!.start, parts[1]!.end);
  return octets !== null && octets.tag === OCTET_STRING ? octets : null;
}

/** The elements of the SEQUENCE an OCTET STRING holds. */
function sequenceOf(buf: Buffer, octets: Tlv): Tlv[] | null {
  const seq = readTlv(buf, octets.start, octets.end);
  return seq !== null && seq.tag === SEQUENCE ? children(buf, seq) : null;
}

/** Collects the keys of a SafeContents (`opened.spent`: a key was left untried, the scan's KDF allowance gone). */
function readBags(dc: DecoderContext, buf: Buffer, octets: Tlv | null, keys: Buffer[], depth: number, opened: { spent: boolean }): void {
  const bags = octets === null || depth > MAX_NESTING ? null : octets.tag === OCTET_STRING ? sequenceOf(buf, octets) : children(buf, octets);
  if (bags === null) return;
  for (const bag of bags) {
    if (keys.length >= MAX_KEYS) break;
    const parts = children(buf, bag);
    if (parts === null || parts.length < 2 || parts[0]!.tag !== OID || parts[1]!.tag !== CONTEXT_0) continue;
    const value = readTlv(buf, parts[1]!.start, parts[1]!.end);
    if (value === null) continue;
    if (same(buf, parts[0]!, KEY_BAG)) keys.push(Buffer.from(buf.subarray(value.at, value.end)));
    else if (same(buf, parts[0]!, SAFE_CONTENTS_BAG)) readBags(dc, buf, value, keys, depth + 1, opened);
    else if (same(buf, parts[0]!, SHROUDED_KEY_BAG)) {
      const key = unlock(dc, buf.subarray(value.at, value.end), opened);
      if (key !== null) keys.push(key);
    }
  }
}

/** An EncryptedPrivateKeyInfo opened with a stock password, as PKCS#8 DER; null when none opens it (or its KDF asks too much). */
function unlock(dc: DecoderContext, encrypted: Buffer, opened: { spent: boolean }): Buffer | null {
  const rounds = iterations(encrypted);
  if (rounds === null || rounds > MAX_ITERATIONS) return null;
  for (const passphrase of STOCK_PASSWORDS) {
    if (!dc.budget.kdf(Math.max(1, rounds))) {
      opened.spent = true;
      return null;
    }
    try {
      return createPrivateKey({ key: encrypted, format: "der", type: "pkcs8", passphrase }).export({ type: "pkcs8", format: "der" });
    } catch {
      // the wrong password, or a cipher this node's OpenSSL does not have
    }
  }
  return null;
}

/** The KDF's iteration count of an EncryptedPrivateKeyInfo (PBES2's PBKDF2, or a PKCS#12 PBE); null when unreadable. */
function iterations(der: Buffer): number | null {
  const top = readTlv(der, 0);
  const algorithm = top === null ? null : readTlv(der, top.start, top.end);
  const parts = algorithm === null ? null : children(der, algorithm);
  if (parts === null || parts.length < 2 || parts[0]!.tag !== OID) return null;
  let params: Tlv | null = parts[1]!;
  if (same(der, parts[0]!, PBES2)) {
    // PBES2-params: keyDerivationFunc (PBKDF2 and its params), encryptionScheme
    const kdf = children(der, params)?.[0];
    params = kdf === undefined ? null : (children(der, kdf)?.[1] ?? null);
  } else if (!der.subarray(parts[0]!.start, parts[0]!.end).subarray(0, PKCS12_PBE_PREFIX.length).equals(PKCS12_PBE_PREFIX)) {
    return null;
  }
  // PBKDF2-params and pkcs-12PbeParams both start: salt, iteration count
  const count = params === null ? undefined : children(der, params)?.[1];
  if (count === undefined || count.tag !== INTEGER || count.end - count.start > 4) return null;
  let n = 0;
  for (let i = count.start; i < count.end; i++) n = n * 256 + der[i]!;
  return n;
}

const same = (buf: Buffer, tlv: Tlv, oid: Buffer): boolean => tlv.end - tlv.start === oid.length && buf.compare(oid, 0, oid.length, tlv.start, tlv.end) === 0;
