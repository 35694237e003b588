import { createHash } from "node:crypto";

import type { ContentFormat } from "./format.js";

/** What a format inside the inflated content (a `.tar.gz`'s tar) found, at its place in the chain. */
export type InnerRecord =
  | { readonly kind: "hit"; readonly tag: number; readonly inner: string; readonly container: ContentFormat }
  | { readonly kind: "notSearched" | "unreadable"; readonly inner: string; readonly reason: string };

/** What the inflated content of one gzip file held: the needles found in it, and the limit that cut it (null: none). */
export interface InflatedContent {
  readonly tags: readonly number[];
  readonly truncated: string | null;
  readonly inner: readonly InnerRecord[];
}

/** Beyond this many distinct files a scan stops remembering (each entry takes about 250 bytes). */
const MAX_ENTRIES = 20_000;

/**
 * What each distinct gzip file of a scan held, by the SHA-256 of its compressed bytes, so
 * identical files inflate once: Debian packages built from one source each ship the same
 * changelog, and a file copied into two layers is the same bytes twice (a third of the
 * compressed gzip bytes of the bench image's docs layer). Inflating is deterministic, limits
 * and truncation included, so the content of one copy is the content of all. A cryptographic
 * digest, because a crafted file that collided with a clean one would hide its content.
 */
export class InflatedMemo {
  readonly #contents = new Map<string, Promise<InflatedContent>>();

  /** The content of `compressed`, inflated by `inflate` unless identical bytes were seen before. */
  contentOf(compressed: Buffer, inflate: () => Promise<InflatedContent>): Promise<InflatedContent> {
    const key = createHash("sha256").update(compressed).digest("base64");
    const known = this.#contents.get(key);
    if (known !== undefined) return known;
    const content = inflate();
    if (this.#contents.size < MAX_ENTRIES) this.#contents.set(key, content);
    return content;
  }

  get size(): number {
    return this.#contents.size;
  }
}
