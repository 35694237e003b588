import { isUtf8 } from "node:buffer";
import { basicAuth, classifyField, urlCredentials as urlForms } from "./structured/field.js";
import { pemBlocks, pemForms } from "./structured/pem.js";
import { keyMaterialOf } from "./structured/private-key.js";
import type { SubValue } from "./sub-value.js";

function isSecretField(key: string, value: string): boolean {
  return classifyField(key, value).credential;
}

function unquote(text: string): string {
  const t = text.trim();
  if (t.length >= 2 && (t[0] === '"' || t[0] === "'") && t[t.length - 1] === t[0]) return t.slice(1, -1);
  return t.replace(/\s+#.*$/, "");
}

// Repetitions are bounded so that a long single-line value (a 500 KiB certificate bundle)
// costs linear time: an unbounded `[a-z0-9+.-]*:\/\/` retried at every position is quadratic.
const NPMRC_LINE = /^[ \t]*(?:\/\/\S{0,512}?:)?(_authToken|_auth|_password)[ \t]*=[ \t]*(.*?)\s*$/gm;
const ENV_LINE = /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]{0,127})[ \t]*[=:][ \t]*(.*?)\s*$/gm;

/**
 * Where found strings go: `same` for slices of the text being read (whose characters map back
 * to bytes the way that text was decoded), `utf8` for strings decoded from something else.
 */
interface Sink {
  same(s: string): void;
  utf8(s: string): void;
}

function npmrc(text: string, sink: Sink): void {
  for (const m of text.matchAll(NPMRC_LINE)) {
    const [, key = "", raw = ""] = m;
    const value = unquote(raw);
    sink.same(value);
    if (key === "_auth") basicAuth(value).forEach(sink.utf8);
    if (key === "_password" && /^[A-Za-z0-9+/]+=*$/.test(value)) {
      const decoded = Buffer.from(value, "base64");
      if (isUtf8(decoded)) sink.utf8(decoded.toString("utf8"));
    }
  }
}

function dotenv(text: string, sink: Sink): void {
  for (const m of text.matchAll(ENV_LINE)) {
    const [, key = "", raw = ""] = m;
    const value = unquote(raw);
    if (isSecretField(key, value)) sink.same(value);
  }
}

function urlCredentials(text: string, sink: Sink): void {
  for (const form of urlForms(text, "latin1") ?? []) (form.encoding === "latin1" ? sink.same : sink.utf8)(form.text);
}

function json(text: string, sink: Sink, nested: (s: string) => void): void {
  const trimmed = text.trim();
  if (!/^[[{]/.test(trimmed)) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return;
  }
  const walk = (node: unknown, key: string, depth: number): void => {
    if (depth > 32) return;
    if (typeof node === "string") {
      if (isSecretField(key, node)) sink.utf8(node);
      if (/^auth$/i.test(key)) basicAuth(node).forEach(sink.utf8);
      nested(node);
    } else if (Array.isArray(node)) {
      for (const item of node) walk(item, key, depth + 1);
    } else if (node !== null && typeof node === "object") {
      for (const [k, v] of Object.entries(node)) walk(v, k, depth + 1);
    }
  };
  walk(parsed, "", 0);
}

function pem(text: string, out: SubValue[]): void {
  for (const block of pemBlocks(text)) {
    out.push(...pemForms(block));
    if (!block.isPublic) for (const key of keyMaterialOf(block.type, block.body)) out.push(...key.subValues);
  }
}

/**
 * The credentials inside a structured secret: an .npmrc token, the secret-looking values of a
 * .env file or JSON document, the password of a `scheme://user:pass@host` URL, a PEM body and
 * the private numbers of the key it holds.
 * A leaked sub-value is as bad as the whole file: a token copied out of an .npmrc shows up
 * alone, never next to the rest of the file.
 */
export function subValuesOf(value: Buffer): SubValue[] {
  const out: SubValue[] = [];
  // latin1 keeps a byte per character, so regexes work on binary values too.
  const text = value.toString("latin1");
  const push = (s: string, encoding: BufferEncoding): void => {
    if (s.length > 0) out.push({ encoding: "field", bytes: Buffer.from(s, encoding) });
  };
  const bytewise: Sink = { same: (s) => push(s, "latin1"), utf8: (s) => push(s, "utf8") };
  const unicode: Sink = { same: (s) => push(s, "utf8"), utf8: (s) => push(s, "utf8") };
  npmrc(text, bytewise);
  dotenv(text, bytewise);
  urlCredentials(text, bytewise);
  pem(text, out);
  if (isUtf8(value)) {
    json(value.toString("utf8"), unicode, (s) => {
      urlCredentials(s, unicode);
      pem(s, out);
    });
  }
  return out;
}
