import { variantsOf, wipeVariants } from "../match/variants.js";
import type { Encoding, Variant } from "../match/variant.js";

/** Pieces of a structured secret that carry its substance (variants.ts names them). */
const CREDENTIALS: ReadonlySet<Encoding> = new Set<Encoding>(["field", "pem", "base64-decoded", "hex-decoded"]);

/**
 * The forms whose pieces the masker hides (fragments.ts). A plain value: all its variants. A
 * structured or multi-line one (an .npmrc, a PEM key, a URL with a password): its credential
 * fields with their encodings (else, for an unrecognised multi-line value, its non-structural
 * lines), so `registry.npmjs.org` or `PRIVATE KEY` from its boilerplate are never starred out
 * of a log; the whole value and its lines are still masked as such.
 */
export function fragmentSourcesOf(id: string, value: Buffer): Variant[] {
  const all = variantsOf(id, value);
  if (!all.some((v) => v.encoding === "line" || v.encoding === "field" || v.encoding === "pem")) return all;
  const structured = all.some((v) => v.encoding === "field" || v.encoding === "pem");
  const pieces = all.filter((v) => CREDENTIALS.has(v.encoding) || (!structured && v.encoding === "line"));
  const out = pieces.flatMap((p) => variantsOf(id, p.bytes));
  wipeVariants(all);
  return out;
}
