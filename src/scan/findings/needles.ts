import { said } from "../../redact/own-words.js";
import type { ResolvedSecret } from "../../secrets/secret.js";
import type { Variant } from "../../match/variant.js";
import type { RangeMatcher } from "../../match/matcher.js";
import type { StreamSearch } from "../../match/stream-search.js";
import { compileVariants } from "../../match/variant-matcher.js";
import { variantsOf, wipeVariants } from "../../match/variants.js";

/** Shorter values match by chance in any large image; they are skipped with a warning. */
export const MIN_NEEDLE_BYTES = 8;

/** Every variant of every secret, indexed by matcher tag. */
export interface NeedleTable {
  readonly variants: readonly Variant[];
  readonly lengths: readonly number[];
  /** Tags are indexes into `variants`. */
  readonly matcher: RangeMatcher;
  /** A searcher for one stream at a time (a tar entry's content), sharing the compiled matcher. */
  streamSearch(): StreamSearch;
  readonly warnings: readonly string[];
}

export function buildNeedles(secrets: readonly ResolvedSecret[]): NeedleTable {
  const variants: Variant[] = [];
  const warnings: string[] = [];
  for (const secret of secrets) {
    const value = secret.value.expose();
    if (value.length < MIN_NEEDLE_BYTES) {
      warnings.push(said`secret "${secret.id}" is shorter than ${MIN_NEEDLE_BYTES} bytes: not scanned`);
      continue;
    }
    // variantsOf already drops repeated byte sequences of one secret.
    const all = variantsOf(secret.id, value);
    variants.push(...all.filter((v) => v.bytes.length >= MIN_NEEDLE_BYTES));
    wipeVariants(all.filter((v) => v.bytes.length < MIN_NEEDLE_BYTES));
  }
  const compiled = compileVariants(variants);
  return {
    variants: compiled.variants,
    lengths: compiled.lengths,
    matcher: compiled.matcher,
    warnings,
    streamSearch: compiled.streamSearch,
  };
}
