import { createHash } from "node:crypto";
import { readTlv, SEQUENCE } from "../bytes/der.js";

/**
 * Private keys that software publishes in its own code, for a self-test, by the SHA-256 of their
 * DER: they ship in every copy of that software, wherever it is installed, so a match is no leak.
 * Identity, not path: the same file name holding another key is still a finding. Measured from
 * each project's sources (docs/rules.md, "Keys published with software").
 */
export const PUBLIC_TEST_KEYS: Readonly<Record<string, string>> = {
  // netty-handler 4.1.35 to 4.2.x: SslUtils.PROBING_KEY, a compile-time constant, so also inlined into OpenSsl.class
  "9186408b8399cd7bd95651a76d3f603b0b91631f5e6a226ef057cc48b4224398": "netty probing key",
  // GnuTLS 3.6 to 3.8 (lib/crypto-selftests-pk.c): the power-on self-tests' keys, in every libgnutls.so
  "2859ff03b44c8f0e4f96604b8cced325ef4d01ca935422b2041d88d8809f8fa1": "GnuTLS self-test RSA 2048",
  "09f1c1a4680df80b9e8e6e587d3a787de7402a919e366426ad807a1c0f8c98c1": "GnuTLS self-test DSA 2048",
  "458022ddcb5598b39253bc027eb02c4f3dba00e2bdbaef239a35bc91c9bd4f3a": "GnuTLS self-test ECDSA secp256r1",
  "7e38af7715bbb425a6aa8060b7c0af60aeb81d39975c55e83edcb9eae7a5e9f8": "GnuTLS self-test ECDSA secp192r1",
  "09416ba3e0782523c56225fb168cd58cda7796e938db1b53f79b6abbaed2bbc7": "GnuTLS self-test ECDSA secp224r1",
  "995b8d5b08ac126a74f39d812fc8cce270d026093d810f366de923bb0fe47f60": "GnuTLS self-test ECDSA secp384r1",
  "60c323abe4854b03743005874156ef6e0343bc9c05c09a2a43335cdda19342b3": "GnuTLS self-test ECDSA secp521r1",
  "0294b4406902e33bb02f89eaf4c691328790d7a9cd01b873d68edac994f310a1": "GnuTLS self-test GOST R 34.10-2001",
  "d245e52c341a76645e1b0e56c58dc964cd4f3ecaea64a9c6d6db9897d4948a8a": "GnuTLS self-test GOST R 34.10-2012 256",
  "87e288dc7dbc29a24241b596ec8c84f949d9f09f34fc0cf69242481fb2274770": "GnuTLS self-test GOST R 34.10-2012 512",
  // added in GnuTLS 3.8.9
  "323a1e2a6917c0615aa5e0144ba9ea0b18553c671284f2b75ca5dde1308c477b": "GnuTLS self-test Ed25519",
  "803fc9d7eb40ea13dc82723b2d99780ac1e0335ba0b65d660e66994c613ed422": "GnuTLS self-test Ed448",
  // OpenSSL's `openssl speed` RSA keys (apps/testrsa.h, unchanged since 2016), DER arrays in every
  // `openssl` binary; the 15360-bit one is too long for private-key-der
  "171349923b709500bee59c838b58a8f8233feb55c62b6c660c31cf4ee284462f": "OpenSSL speed test RSA 512",
  "d5ad6f88cf914734f625ce2fb886c81e249e11a598554089f8bb4299d7ed681f": "OpenSSL speed test RSA 1024",
  "c069f7ebcd214901cd196cdfd4f785ffe3d646506217f790aee51576eef363de": "OpenSSL speed test RSA 2048",
  "54da0df6070851127a23e00c2836e3dd2c6b3b78f650ce690442a0243fde31bd": "OpenSSL speed test RSA 3072",
  "bb6a6abd969e3ffb523c303fc951ee4ee56349d8f86f52d3386adae5cd4db004": "OpenSSL speed test RSA 4096",
  "32620d7d2ae52c11db7cc95e333e585c2552abe20da6bd5169c010fedfa4c73e": "OpenSSL speed test RSA 7680",
  // mbedTLS 2.x (library/certs.c, compiled into libmbedx509 with MBEDTLS_CERTS_C): its test CA, server and client keys
  "c9af85bb77cb430f57ee1012b3af2aaebe8ae7263a618f19236a09b686e5b615": "mbedTLS test CA RSA",
  "1820853c99779f8e6b847a9ad7fceba765515f1e6ce991a96b7420d0299334fe": "mbedTLS test server RSA",
  "b8cfad83f4f6af613e57b1769237d084bb443fd7be374ca2b167cd4f7ec9cece": "mbedTLS test client RSA",
  "557e06381c7e6448cd0d98c664172f6c143dd93cbc0e0d54561bac06fe86c62d": "mbedTLS test CA EC",
  "916591fe3a480392ece0f0259cae9cdbc4178acd63863dfb5e8a135e5aa5fed3": "mbedTLS test server EC",
  "3cdedeaee08f4edb26b9637281566c7da73fa17c7b6a57246974beb6e92378a8": "mbedTLS test client EC",
  // its client keys as certs.c's DER arrays (mbedtls_test_cli_key_*_der), found by private-key-der
  // in Debian 12's libmbedx509.so.1 right after the server keys; their PEM strings differ from these
  "77ffe88a785127deb761570bf12fe72fb52bb791e9e4fd5a821b92737d814ee5": "mbedTLS test client RSA (DER array)",
  "d6a5d0b3c94857d0a42032fc9ccc3dc8056403d6c893298f99541972238986f8": "mbedTLS test client EC (DER array)",
};

/**
 * SHA-256 (hex) of the DER an armoured key body holds, whatever wraps its lines: line breaks,
 * indentation, `\n` escapes at any depth, XML character references. JSON's `\/` keeps its `/`, System.Text.Json's `\u002B` is `+`.
 */
export function armouredKeyDigest(body: Uint8Array): string {
  return createHash("sha256").update(armouredKeyBytes(body)).digest("hex");
}

/** An armoured key's body decoded, whatever wraps its lines (line breaks, `\\n` escapes, XML references). */
function armouredKeyBytes(body: Uint8Array): Buffer {
  const base64 = Buffer.from(body)
    .toString("latin1")
    .replace(/\\+u002[Bb]/g, "+")
    .replace(/\\+u003[Dd]/g, "=")
    .replace(/\\+[rnt]|&#(?:1[03]|x[AaDd]);/g, "")
    .replace(/[^A-Za-z0-9+/=]/g, "");
  return Buffer.from(base64, "base64");
}

/**
 * Whether an armoured key's body decodes to a key's structure (one DER SEQUENCE, whole; an
 * OpenSSH key's `openssh-key-v1`): no placeholder does, so a word its random base64 happens to
 * spell (`dUmMy`, 1 key in a few thousand) does not make it one.
 */
export function isArmouredKeyStructure(body: Uint8Array): boolean {
  const bytes = armouredKeyBytes(body);
  return (bytes[0] === SEQUENCE && readTlv(bytes, 0)?.end === bytes.length) || bytes.subarray(0, 15).toString("latin1") === "openssh-key-v1\0";
}
