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
  | "field"
  /** The body of a PEM block with its line breaks removed, or the DER bytes it encodes. */
  | "pem";

/** One byte sequence to look for, derived from one secret. */
export interface Variant {
  readonly secretId: string;
  readonly encoding: Encoding;
  readonly bytes: Buffer;
}
