/**
 * GitHub's tokens (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`) and npm's (`npm_`) end in a checksum:
 * 30 random base62 characters after the prefix, then their CRC-32 as 6 base62 digits (0-9, A-Z,
 * a-z; zero-padded). GitHub's "Behind GitHub's new authentication token formats" and npm's
 * "Announcing npm's new access token format" describe it; a placeholder almost never has one
 * (one chance in 57 billion), a token GitHub or npm issued always does.
 */
const DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const RANDOM_CHARS = 30;
const CHECK_CHARS = 6;

const TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

export function crc32(bytes: Uint8Array): number {
  let c = -1;
  for (const b of bytes) c = (c >>> 8) ^ TABLE[(c ^ b) & 0xff]!;
  return (c ^ -1) >>> 0;
}

/** `n` as 6 base62 digits. */
export function base62Check(n: number): string {
  let out = "";
  for (let i = 0; i < CHECK_CHARS; i++) {
    out = DIGITS[n % 62]! + out;
    n = Math.floor(n / 62);
  }
  return out;
}

/** Whether `token` (prefix `_` 30 characters, 6 check digits) carries its own checksum. */
export function hasTokenChecksum(token: Buffer): boolean {
  const body = token.indexOf(0x5f) + 1;
  if (body === 0 || token.length - body !== RANDOM_CHARS + CHECK_CHARS) return false;
  const check = base62Check(crc32(token.subarray(body, body + RANDOM_CHARS)));
  return token.toString("latin1", body + RANDOM_CHARS) === check;
}
