import { isUtf8 } from "node:buffer";
import type { Encoding } from "./variant.js";

/** The encodings applied to a whole value and to each sub-value of a structured secret. */
export type EncodedForm = Extract<Encoding, "base64" | "base64url" | "hex" | "url" | "json">;

/**
 * Base64 of `value` as it appears inside a longer encoded stream. The value may start at any
 * of the three positions of a 3-byte group, so for each start offset we encode the bytes from
 * there on and keep only the characters those bytes alone determine: the leading partial group
 * mixes with unknown bytes before the value, the trailing one with unknown bytes after it.
 * The 0-offset encoding is also given whole (padded and unpadded), as when the value is
 * encoded on its own.
 */
function base64Forms(value: Buffer, alphabet: "base64" | "base64url"): Buffer[] {
  const out: Buffer[] = [];
  const whole = value.toString(alphabet);
  out.push(Buffer.from(whole, "latin1"));
  if (alphabet === "base64url") {
    const pad = (4 - (whole.length % 4)) % 4;
    if (pad > 0) out.push(Buffer.from(whole + "=".repeat(pad), "latin1"));
  } else {
    out.push(Buffer.from(whole.replace(/=+$/, ""), "latin1"));
  }
  for (let offset = 0; offset < 3 && offset < value.length; offset++) {
    const part = value.subarray(offset);
    const rest = part.length % 3;
    const determined = Math.floor(part.length / 3) * 4 + rest;
    if (determined === 0) continue;
    out.push(Buffer.from(part.toString(alphabet).slice(0, determined), "latin1"));
  }
  return out;
}

/** encodeURIComponent leaves these as they are; RFC 3986 (Python quote, Go, curl) escapes !*'() too. */
const URI_COMPONENT_SAFE = /[A-Za-z0-9\-_.!~*'()]/;
const RFC3986_SAFE = /[A-Za-z0-9\-_.~]/;

/**
 * Percent-encoding over bytes (not UTF-16): encodeURIComponent's set and RFC 3986's stricter
 * one, each in upper and lower case hex, and the form flavour (space as `+`).
 */
function percentForms(value: Buffer): Buffer[] {
  const encode = (safe: RegExp, space: string | undefined): string => {
    let out = "";
    for (const byte of value) {
      const ch = String.fromCharCode(byte);
      if (byte < 0x80 && safe.test(ch)) out += ch;
      else if (byte === 0x20 && space !== undefined) out += space;
      else out += "%" + byte.toString(16).toUpperCase().padStart(2, "0");
    }
    return out;
  };
  const lowerHex = (s: string): string => s.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
  const component = encode(URI_COMPONENT_SAFE, undefined);
  const strict = encode(RFC3986_SAFE, undefined);
  const forms = [component, lowerHex(component), encode(URI_COMPONENT_SAFE, "+"), strict, lowerHex(strict), encode(RFC3986_SAFE, "+")];
  return [...new Set(forms)].map((s) => Buffer.from(s, "latin1"));
}

/**
 * A JSON string literal's body, as JSON.stringify writes it and as ASCII-only encoders
 * (Python's json.dumps, Go's HTML-safe encoder) do with \u escapes. Only for UTF-8 values:
 * other bytes cannot be in a JSON string as themselves.
 */
function jsonForms(value: Buffer): Buffer[] {
  if (!isUtf8(value)) return [];
  const text = value.toString("utf8");
  const standard = JSON.stringify(text).slice(1, -1);
  const ascii = standard.replace(/[^\x20-\x7e]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
  const slashes = standard.replace(/\//g, "\\/");
  const htmlSafe = ascii.replace(/[<>&]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
  return [standard, ascii, slashes, htmlSafe].map((s) => Buffer.from(s, "utf8"));
}

export const ENCODERS: Record<EncodedForm, (value: Buffer) => Buffer[]> = {
  base64: (v) => base64Forms(v, "base64"),
  base64url: (v) => base64Forms(v, "base64url"),
  hex: (v) => [Buffer.from(v.toString("hex"), "latin1"), Buffer.from(v.toString("hex").toUpperCase(), "latin1")],
  url: percentForms,
  json: jsonForms,
};

export const ENCODED_FORMS = Object.keys(ENCODERS) as EncodedForm[];
