import { createHash } from "node:crypto";
import type { Writable } from "node:stream";
import { compileVariants } from "../match/variant-matcher.js";
import type { Variant } from "../match/variant.js";
import { variantsOf, wipeVariants } from "../match/variants.js";
import type { SecretValue } from "../secrets/secret-value.js";
import { applyMask, coverage } from "./coverage.js";
import { fragmentSourcesOf } from "./fragment-sources.js";
import { compileFragments, type Fragments } from "./fragments.js";
import { addMaskLine, inGithubActions } from "./github-mask.js";
import { createMaskedStream, type MaskTable } from "./masked-stream.js";
import { ownPhrases, withoutOwn } from "./own-words.js";
import type { MaskedStream, Masker } from "./masker-api.js";

/**
 * A value as written is masked from 4 bytes on: shorter ones (a 1-3 byte password is no
 * secret anyway) would star out every matching letter pair of a log. An encoded or derived
 * form must have 8 bytes: base64 and hex fragments, lines and field values under that occur
 * by chance in ordinary output (hashes, ids), and the scanner draws the same line.
 */
export const MIN_RAW_MASK_BYTES = 4;
export const MIN_DERIVED_MASK_BYTES = 8;

export interface MaskerOptions {
  /** Where GITHUB_ACTIONS is read, at each add (default: process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Writes one `::add-mask::` line. It must bypass the masker (the runner has to see the value)
   * and reach the runner before any output that could hold the value. Default: straight to
   * stderr, not stdout: stdout carries the JSON/SARIF report (CONTRACT.md), and the runner
   * reads workflow commands from both streams.
   */
  readonly emit?: (line: string) => void;
}

function maskable(v: Variant): boolean {
  // dumps in a log are pieces of hex with blanks between: fragments.ts masks those, the whole line's run
  if (v.encoding === "hex-dump" || v.encoding === "key-material-hex-dump") return false;
  return v.bytes.length >= (v.encoding === "raw" ? MIN_RAW_MASK_BYTES : MIN_DERIVED_MASK_BYTES);
}

/**
 * The forms of `forms` not held yet (their digests taken into `seen`); the others are wiped.
 * Comparing every pair took minutes for a secret of many short lines (a hostile repository's),
 * and digests, unlike strings of the bytes, are no copy of a value.
 */
function freshOf(forms: readonly Variant[], seen: Set<string>, keep: (v: Variant) => boolean): Variant[] {
  const fresh: Variant[] = [];
  for (const v of forms) {
    const digest = keep(v) ? createHash("sha256").update(v.bytes).digest("base64") : undefined;
    if (digest === undefined || seen.has(digest)) {
      wipeVariants([v]);
      continue;
    }
    seen.add(digest);
    fresh.push(v);
  }
  return fresh;
}

export function createMasker(options: MaskerOptions = {}): Masker {
  const variants: Variant[] = [];
  /** The forms whose pieces of FRAGMENT_BYTES and more are masked too (fragment-sources.ts). */
  const pieceSources: Variant[] = [];
  let table: MaskTable | undefined;
  let fragments: Fragments | undefined;
  /** Last byte each wrapped stream wrote: an add-mask line must start a line of its own. */
  const lastBytes = new Map<MaskedStream, number>();
  const wipers: (() => void)[] = [];

  const current = (): MaskTable => {
    if (table === undefined) {
      // wrapped forms share their variants' buffers: wiping the variants wipes them
      const compiled = compileVariants(variants);
      fragments?.wipe();
      fragments = compileFragments(pieceSources);
      table = { matcher: compiled.matcher, lengths: compiled.lengths, minHold: MIN_RAW_MASK_BYTES, fragments };
    }
    return table;
  };

  const announce = (added: readonly Variant[]): void => {
    const env = options.env ?? process.env;
    const emit = options.emit;
    if (!inGithubActions(env) || emit === undefined) return;
    const lines = added.map((v) => addMaskLine(v.bytes)).filter((l): l is string => l !== undefined);
    if (lines.length === 0) return;
    const midLine = [...lastBytes.values()].some((b) => b !== 0x0a);
    emit((midLine ? "\n" : "") + lines.join(""));
  };

  // digests of the forms held, to keep each once (see freshOf)
  const held = new Set<string>();
  const heldSources = new Set<string>();

  const register = (id: string, bytes: Buffer): void => {
    const fresh = freshOf(variantsOf(id, bytes), held, maskable);
    const freshSources = freshOf(fragmentSourcesOf(id, bytes), heldSources, (v) => v.bytes.length >= MIN_DERIVED_MASK_BYTES);
    for (const v of freshSources) pieceSources.push(v);
    if (freshSources.length > 0) table = undefined;
    if (fresh.length === 0) return;
    announce(fresh);
    for (const v of fresh) variants.push(v);
    table = undefined;
  };

  /** Output of other programs (the build log, a child's stderr): values and their pieces. */
  const maskBuffer = (chunk: Buffer): Buffer => {
    if (variants.length === 0 || chunk.length === 0) return chunk;
    const { matcher, lengths, fragments: pieces } = current();
    return applyMask(chunk, coverage(chunk, matcher, lengths, pieces).ranges, 0, chunk.length);
  };

  /**
   * A field of safebuild's own output (a path, a history line) or a text it composed: whole
   * values and their encodings. Pieces are what tools make of a value in a log; a report's
   * names and paths share 8-byte runs with ordinary values far too often to lose them.
   */
  const maskText = (text: string, own: boolean): string => {
    if (variants.length === 0) return text;
    const { matcher, lengths } = current();
    const source = Buffer.from(text, "utf8");
    const { ranges } = coverage(source, matcher, lengths);
    return applyMask(source, own ? withoutOwn(source, ranges, ownPhrases()) : ranges, 0, source.length).toString("utf8");
  };
  const maskOwn = (text: string): string => maskText(text, true);

  return {
    add: (id, value: SecretValue) => register(id, value.expose()),
    maskOwn,
    addSensitive: (value) => register("sensitive", value),
    maskBuffer,
    maskString: (text) => maskText(text, false),
    wrap(target: Writable): MaskedStream {
      const { stream, wipe } = createMaskedStream(current, maskOwn, target, (last) => lastBytes.set(stream, last));
      wipers.push(wipe);
      return stream;
    },
    wipe() {
      for (const wipeHeld of wipers) wipeHeld();
      wipeVariants(variants);
      wipeVariants(pieceSources);
      variants.length = 0;
      pieceSources.length = 0;
      held.clear();
      heldSources.clear();
      fragments?.wipe();
      fragments = undefined;
      table = undefined;
    },
  };
}
