import { isUtf8 } from "node:buffer";
import { ESCAPES } from "./escapes.js";
import type { Encoding } from "./variant.js";

/** The encodings applied to a whole value and to each sub-value of a structured secret. */
export type EncodedForm = Extract<Encoding, "base64" | "base64url" | "hex" | "url" | "json" | "xml" | "quoted" | "shell" | "properties">;

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

/**
 * Base64 of base64 at each alignment of both: a token inside a docker `config.json`'s `auth`
 * (itself base64 of `user:token`) inside a Kubernetes Secret's `.dockerconfigjson`, or
 * `base64 | base64`. The inner pieces are the characters the value alone determines, so the
 * outer ones are too, whatever surrounds either.
 */
export function base64TwiceForms(value: Buffer): Buffer[] {
  // the value's own `base64 | base64` whole, padding included, then the pieces inside longer text
  const out = new Set<string>([Buffer.from(value.toString("base64")).toString("base64")]);
  for (const inner of base64Forms(value, "base64").slice(2)) for (const outer of base64Forms(inner, "base64").slice(2)) out.add(outer.toString("latin1"));
  return [...out].map((s) => Buffer.from(s, "latin1"));
}

/**
 * Base64, at each alignment, of a value as a JSON string holds it, when escaping changes it (a
 * private key's line breaks as `\n`): a service-account key re-serialised (`jq -c`, Helm's
 * `toJson`) and base64'd into a Kubernetes Secret holds its key so, whatever else changed.
 */
export function jsonBase64Forms(value: Buffer): Buffer[] {
  if (!isUtf8(value)) return [];
  const text = value.toString("utf8");
  const escaped = JSON.stringify(text).slice(1, -1);
  return escaped === text ? [] : base64Forms(Buffer.from(escaped, "utf8"), "base64").slice(2);
}

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32, unpadded; written here: ten lines, and node has none. */
function base32(bytes: Uint8Array): string {
  let out = "";
  let acc = 0;
  let bits = 0;
  for (const byte of bytes) {
    acc = ((acc << 8) | byte) & 0xfff;
    bits += 8;
    for (; bits >= 5; bits -= 5) out += BASE32[(acc >>> (bits - 5)) & 31];
  }
  return bits > 0 ? out + BASE32[(acc << (5 - bits)) & 31] : out;
}

/**
 * Base32 (`base32`, Python's b32encode; TOTP seeds are written so): whole, padded and not, and
 * at each of the five alignments of a 5-byte group the characters the value alone determines;
 * each in lower case too (`.lower()`, Go's and Rust's lower-case alphabets, onion-style names).
 */
export function base32Forms(value: Buffer): Buffer[] {
  const whole = base32(value);
  const out = new Set([whole, whole + "=".repeat((8 - (whole.length % 8)) % 8)]);
  for (let offset = 0; offset < 5 && offset < value.length; offset++) {
    const part = value.subarray(offset);
    const determined = Math.floor((part.length * 8) / 5);
    if (determined > 0) out.add(base32(part).slice(0, determined));
  }
  for (const form of [...out]) out.add(form.toLowerCase());
  return [...out].map((s) => Buffer.from(s, "latin1"));
}

/** encodeURIComponent leaves these as they are; RFC 3986 (Python quote, Go, curl) escapes !*'() too. */
const URI_COMPONENT_SAFE = /[A-Za-z0-9\-_.!~*'()]/;
const RFC3986_SAFE = /[A-Za-z0-9\-_.~]/;
/**
 * Partial escapers, upper-case hex only: Python's urllib.parse.quote (keeps `/`), Go's
 * url.PathEscape (keeps `$ & + : = @`, escapes `, / ; ?`) and the userinfo of Go's URL.String
 * (keeps `$ & + , ; =`), and the base64 characters escaped by hand in a DATABASE_URL: `+`, `/`
 * or `=` alone, or the three.
 */
const UPPER_ONLY_SAFE = [/[A-Za-z0-9\-_.~/]/, /[A-Za-z0-9\-_.~$&+:=@]/, /[A-Za-z0-9\-_.~$&+,;=]/];
const ONLY_ESCAPED = ["+", "/", "=", "+/="];

function percentEncode(value: Buffer, safe: (byte: number) => boolean, space?: string): string {
  let out = "";
  for (const byte of value) {
    if (safe(byte)) out += String.fromCharCode(byte);
    else if (byte === 0x20 && space !== undefined) out += space;
    else out += "%" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/**
 * Percent-encoding over bytes (not UTF-16): encodeURIComponent's set and RFC 3986's stricter
 * one, each in upper and lower case hex, and the form flavour (space as `+`); the partial
 * escapers above, `+`, `/`, `=` alone escaped and every byte escaped (both cases), for one-line
 * values. Distinct forms only.
 */
function percentForms(value: Buffer): Buffer[] {
  const ascii = (safe: RegExp) => (byte: number) => byte < 0x80 && safe.test(String.fromCharCode(byte));
  const lowerHex = (s: string): string => s.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
  const component = percentEncode(value, ascii(URI_COMPONENT_SAFE));
  const strict = percentEncode(value, ascii(RFC3986_SAFE));
  const forms = [component, lowerHex(component), percentEncode(value, ascii(URI_COMPONENT_SAFE), "+"), strict, lowerHex(strict), percentEncode(value, ascii(RFC3986_SAFE), "+")];
  const raw = value.toString("latin1");
  // a password or token in a URL: one line (a whole file escaped that way is no case)
  if (!/[\r\n]/.test(raw)) {
    for (const safe of UPPER_ONLY_SAFE) forms.push(percentEncode(value, ascii(safe)));
    for (const chars of ONLY_ESCAPED) {
      const only = percentEncode(value, (byte) => !chars.includes(String.fromCharCode(byte)));
      forms.push(only, lowerHex(only));
    }
    // every byte escaped: obfuscation by hand, and URL builders that escape all they do not know
    const every = percentEncode(value, () => false);
    forms.push(every, lowerHex(every));
  }
  return [...new Set(forms)].filter((s) => s !== raw).map((s) => Buffer.from(s, "latin1"));
}

/**
 * A JSON string literal's body, as JSON.stringify writes it and as ASCII-only encoders
 * (Python's json.dumps, Go's HTML-safe encoder, .NET's System.Text.Json) do with \u escapes. Only for UTF-8 values:
 * other bytes cannot be in a JSON string as themselves.
 */
function jsonForms(value: Buffer): Buffer[] {
  if (!isUtf8(value)) return [];
  const text = value.toString("utf8");
  const escape = (c: string): string => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0");
  const standard = JSON.stringify(text).slice(1, -1);
  const ascii = standard.replace(/[^\x20-\x7e]/g, escape);
  const slashes = standard.replace(/\//g, "\\/");
  const htmlSafe = ascii.replace(/[<>&]/g, escape);
  // Jackson, Gson and .NET write the hex digits of \u escapes in upper case
  const upper = (s: string): string => s.replace(/\\u[0-9a-f]{4}|\\./g, (m) => (m.length === 6 ? "\\u" + m.slice(2).toUpperCase() : m));
  // .NET's System.Text.Json by default (JavaScriptEncoder.Default), Newtonsoft's EscapeHtml: also
  // `" ' + \`` as \u escapes; AWS and Azure keys hold `+`
  const htmlStrict = ascii.replace(/\\(?:u[0-9a-f]{4}|.)|[&'+<>`]/g, (m) => (m === '\\"' ? "\\u0022" : m.startsWith("\\") ? m : escape(m)));
  // a JSON document kept as a string inside another (a config in a JSON env var, PHP's json_encode twice)
  const nested = JSON.stringify(standard).slice(1, -1);
  const nestedSlashes = JSON.stringify(slashes).slice(1, -1).replace(/\//g, "\\/");
  const forms = [standard, ascii, slashes, htmlSafe, htmlStrict, upper(standard), upper(ascii), upper(htmlSafe), upper(htmlStrict), nested, nestedSlashes];
  return [...new Set(forms)].map((s) => Buffer.from(s, "utf8"));
}

export const ENCODERS: Record<EncodedForm, (value: Buffer) => Buffer[]> = {
  base64: (v) => base64Forms(v, "base64"),
  base64url: (v) => base64Forms(v, "base64url"),
  hex: (v) => [Buffer.from(v.toString("hex"), "latin1"), Buffer.from(v.toString("hex").toUpperCase(), "latin1")],
  url: percentForms,
  json: jsonForms,
  ...ESCAPES,
};

export const ENCODED_FORMS = Object.keys(ENCODERS) as EncodedForm[];
