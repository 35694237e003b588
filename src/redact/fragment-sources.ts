import { analyzeStructured } from "../match/structured/analyze.js";
import { variantsOf, wipeVariants } from "../match/variants.js";
import type { Encoding, Variant } from "../match/variant.js";

/** Pieces of a structured secret that carry its substance (variants.ts names them). */
const CREDENTIALS: ReadonlySet<Encoding> = new Set<Encoding>(["field", "pem", "key-material", "base64-decoded", "hex-decoded"]);
/**
 * Escaped text differs from the value only around its escapes, where a piece would join an
 * escape's digits to a word (`%20default`); the runs between escapes are the value's own.
 */
const ESCAPED: ReadonlySet<Encoding> = new Set<Encoding>(["url", "json", "xml", "quoted", "shell", "properties", "hex-dump", "key-material-hex-dump"]);

/** The value without a leading byte-order mark and one trailing newline, as variants.ts reads it. */
function core(value: Buffer): Buffer {
  let v = value.length > 3 && value[0] === 0xef && value[1] === 0xbb && value[2] === 0xbf ? value.subarray(3) : value;
  if (v.length > 0 && v[v.length - 1] === 0x0a) v = v.subarray(0, v.length - (v.length > 1 && v[v.length - 2] === 0x0d ? 2 : 1));
  return v;
}

/**
 * The forms whose pieces the masker hides (fragments.ts). A plain one-line value: its
 * variants. A recognised format (an .npmrc, a PEM key, an AWS file) or a value holding a
 * credential (a URL with a password): the credentials with their encodings, none when it has
 * none; an unrecognised multi-line value: its non-structural lines. So `registry.npmjs.org`,
 * `[default]` or `PRIVATE KEY` from a secret's boilerplate are never starred out of a log;
 * the whole value, its lines and its fields are still masked as such.
 */
export function fragmentSourcesOf(id: string, value: Buffer): Variant[] {
  const all = variantsOf(id, value);
  const structured = analyzeStructured(core(value)) !== undefined || all.some((v) => v.encoding === "field" || v.encoding === "pem");
  const multiLine = core(value).includes(0x0a);
  let sources = all;
  if (structured || multiLine) {
    const pieces = all.filter((v) => CREDENTIALS.has(v.encoding) || (!structured && v.encoding === "line"));
    sources = pieces.flatMap((p) => variantsOf(id, p.bytes));
    wipeVariants(all);
  }
  wipeVariants(sources.filter((v) => ESCAPED.has(v.encoding)));
  return sources.filter((v) => !ESCAPED.has(v.encoding));
}
