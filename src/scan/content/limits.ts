const MiB = 1024 * 1024;

/**
 * The limits every decoder of the content stage shares (docs/audit-archives.md lists them).
 * A file a limit stopped is reported as not searched, never counted as clean.
 */
export const CONTENT_LIMITS = {
  /** levels of content inside a layer entry: `a.tar.gz!/b.jar!/c.zip!/d` is 3 */
  maxDepth: 8,
  /** decoded bytes of one file (a gzip's content, one zip entry) */
  maxFileBytes: 64 * MiB,
  /** decoded bytes of all files of one scan, gzip included */
  maxScanBytes: 4096 * MiB,
  /** a zip, xz, bzip2, zstd or nested gzip file is decoded from memory: its bytes are gathered up to this */
  maxGatherBytes: 64 * MiB,
  /** bytes gathered or decoded and held at once, across every level of nesting */
  maxHeldBytes: 160 * MiB,
} as const;

export const formatBytes = (bytes: number): string =>
  bytes >= MiB && bytes % MiB === 0 ? `${bytes / MiB} MiB` : bytes >= 1024 && bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`;

/** Why a decoded file was cut: the limit that applied, with its real number. */
export interface OutputCap {
  readonly bytes: number;
  readonly reason: string;
}

/** The scan-wide counters behind the limits; one per scan. */
export class ContentBudget {
  #spent = 0;
  #held = 0;

  /**
   * How much of one file may be decoded now, and what limit that is. No ratio of decoded to
   * compressed bytes: ordinary files pass any fixed one (a blank scan in a `.dcm.gz`, 500:1), and
   * these two limits bound a bomb's work the same (docs/audit-archives.md).
   */
  outputCap(): OutputCap {
    const { maxFileBytes, maxScanBytes } = CONTENT_LIMITS;
    const left = Math.max(0, maxScanBytes - this.#spent);
    if (left < maxFileBytes) return { bytes: left, reason: `the scan's decoded bytes reached ${formatBytes(maxScanBytes)} (limit per scan)` };
    return { bytes: maxFileBytes, reason: `decoded content over ${formatBytes(maxFileBytes)} (limit per file)` };
  }

  spend(bytes: number): void {
    this.#spent += bytes;
  }

  get spent(): number {
    return this.#spent;
  }

  /** Takes `bytes` of the memory budget; false (nothing taken) when it would go over. */
  hold(bytes: number): boolean {
    if (this.#held + bytes > CONTENT_LIMITS.maxHeldBytes) return false;
    this.#held += bytes;
    return true;
  }

  release(bytes: number): void {
    this.#held -= bytes;
  }
}
