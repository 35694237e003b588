import type { Encoding } from "./variant.js";

/** Fewer decoded bytes than this match by chance in binaries; the brief's floor (issue 13). */
export const MIN_DECODED_BYTES = 16;

const HEX = /^[0-9a-fA-F]+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;
/** Line breaks and indentation inside an encoded value (a wrapped keystore, a PEM-like body). */
const SPACE = /[\s]+/g;

/**
 * What `value` decodes to when it is, as a whole (line breaks aside), hex or base64 of at
 * least MIN_DECODED_BYTES bytes: a kubeconfig `client-key-data`, a base64 keystore, a hex
 * key. Only canonical encodings count (re-encoding gives the same characters), so text that
 * merely uses the alphabet, with stray bits in its last character, is not taken for one.
 */
export function decodedOf(value: Buffer): { encoding: Extract<Encoding, "base64-decoded" | "hex-decoded">; bytes: Buffer } | undefined {
  // latin1 maps each byte to one character; non-ASCII bytes then fail every alphabet below.
  const text = value.toString("latin1").replace(SPACE, "");
  if (text.length < MIN_DECODED_BYTES) return undefined;
  if (HEX.test(text) && text.length % 2 === 0) {
    return { encoding: "hex-decoded", bytes: Buffer.from(text, "hex") };
  }
  const alphabet = BASE64.test(text) ? "base64" : BASE64URL.test(text) ? "base64url" : undefined;
  if (alphabet === undefined || text.replace(/=+$/, "").length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, alphabet);
  const unpadded = text.replace(/=+$/, "");
  if (bytes.length < MIN_DECODED_BYTES || bytes.toString(alphabet).replace(/=+$/, "") !== unpadded) {
    bytes.fill(0);
    return undefined;
  }
  return { encoding: "base64-decoded", bytes };
}
