/**
 * Limits on tar entries, so a layer of millions of tiny files ends the scan with a message
 * instead of exhausting memory: each entry costs 12 bytes of bookkeeping (path-index.ts) kept
 * until the image is assembled, and an entry is at least one 512-byte tar header to read.
 */
export const MAX_LAYER_ENTRIES = 4_000_000;
export const MAX_SCAN_ENTRIES = 8_000_000;

/** Shared by the layers of one scan; counts every entry of every layer. */
export class EntryBudget {
  readonly #perLayer: number;
  readonly #perScan: number;
  #taken = 0;

  constructor(perScan = MAX_SCAN_ENTRIES, perLayer = MAX_LAYER_ENTRIES) {
    this.#perScan = perScan;
    this.#perLayer = perLayer;
  }

  /** Counts one more entry (the layer's `inLayer`th); the limit passed, as a message, or null. */
  take(inLayer: number): string | null {
    this.#taken += 1;
    if (inLayer > this.#perLayer) return `the layer holds more than ${this.#perLayer} tar entries, safebuild's limit per layer`;
    if (this.#taken > this.#perScan) return `the image's layers hold more than ${this.#perScan} tar entries in all, safebuild's limit per scan`;
    return null;
  }
}
