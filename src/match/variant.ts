/**
 * The encodings a secret can appear in. Names are the `encoding` field of a finding
 * (CONTRACT.md "JSON report"); new encodings get new names, never reuse old ones.
 */
export type Encoding =
  | "raw"
  | "line"
  | "base64"
  | "base64url"
  | "hex"
  | "url"
  | "json"
  /** XML/HTML entities (`&amp;`, `&quot;`, `&#39;`): settings.xml, web.config. */
  | "xml"
  /** Quotes doubled: YAML single-quoted (`''`), CSV and SQL (`""`); `$$` (compose, make), `%%` (configparser, printf). */
  | "quoted"
  /** Shell quoting: `'\''` inside single quotes, `\$ \" \\ \`` inside double quotes, printf %q. */
  | "shell"
  /** Java .properties escaping (`\=`, `\:`, a leading `\ `, `\uXXXX`). */
  | "properties"
  | "field"
  /** The body of a PEM block with its line breaks removed, or the DER bytes it encodes. */
  | "pem"
  /** A text variant as UTF-16 (PowerShell scripts, .NET literals, Windows text files). */
  | "utf16le"
  | "utf16be"
  /** Base64 of the UTF-16LE form: `pwsh -EncodedCommand`. */
  | "base64-utf16le"
  /** Base64 of its base64 (a registry token in a Kubernetes `.dockerconfigjson`), each alignment of both. */
  | "base64-twice"
  /** RFC 4648 base32 (`base32`), each alignment. */
  | "base32"
  /** Base64 of a credential as a JSON string holds it (its line breaks as `\n`): a re-serialised key file in a Kubernetes Secret. */
  | "json-base64"
  /** The bytes a value (or sub-value) that is itself base64 or hex decodes to. */
  | "base64-decoded"
  | "hex-decoded"
  /** Those decoded bytes encoded again: hex of a base64 value's bytes, base64 of a hex value's. */
  | "decoded-hex"
  | "decoded-base64"
  /**
   * A private number of a private key in a secret (RSA d, p, q, dp, dq, qi; an EC scalar; an
   * Ed25519 seed): the key converted to another format (PKCS#1, PKCS#8, SEC1, DER, OpenSSH, JWK)
   * holds it in other bytes. As bytes, then base64 at each alignment (in a PEM, OpenSSH or
   * JWK body), hex, and 8-byte pieces as dump tools and `openssl pkey -text` print them.
   */
  | "key-material"
  | "key-material-base64"
  | "key-material-base64url"
  | "key-material-hex"
  | "key-material-hex-dump"
  /** 8-byte pieces of the value as dump tools print hex (`od -An -tx1`, `hexdump -C`, `xxd`, `5a:6b:`, `0x5a, `), or `\x5a` escapes. */
  | "hex-dump"
  /** An encoded variant split by line breaks, indentation or `\n` escapes (see wrapped.ts). */
  | WrappedEncoding;

/** The variants whose characters may be wrapped over lines: those of the base64/hex alphabets. */
export type WrappableEncoding = "raw" | "field" | "base64" | "base64url" | "hex" | "pem" | "decoded-hex" | "decoded-base64" | "key-material-base64" | "key-material-hex";
export type WrappedEncoding = `${WrappableEncoding}-wrapped`;

/** One byte sequence to look for, derived from one secret. */
export interface Variant {
  readonly secretId: string;
  readonly encoding: Encoding;
  readonly bytes: Buffer;
}
