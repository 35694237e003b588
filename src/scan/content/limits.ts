const MiB = 1024 * 1024;

/**
 * The limits every decoder of the content stage shares (docs/audit-archives.md lists them).
 * A file a limit stopped is reported as not searched, never counted as clean.
 */
export const CONTENT_LIMITS = {
  /** levels of content inside a layer entry: `a.tar.gz!/b.jar!/c.zip!/d` is 3 */
  maxDepth: 8,
  /** decoded bytes of one file its decoder holds in memory whole (lzip, lzma, brotli, zlib, git objects; xz up to it, then streamed); streamed ones have no limit of their own */
  maxFileBytes: 64 * MiB,
  /** decoded bytes of all files of one scan: this, and `scanBytesPerByteRead` more for every byte read from the image */
  maxScanBytes: 4096 * MiB,
  scanBytesPerByteRead: 8,
  /** a zip, xz, lzip, lzma, brotli file or a git pack is decoded from memory: its bytes are gathered up to this (a zip, xz or git pack over it streams) */
  maxGatherBytes: 64 * MiB,
  /** bytes gathered or decoded and held at once, across every level of nesting */
  maxHeldBytes: 160 * MiB,
  /** PBKDF2 rounds spent opening keystores under stock passwords, per scan: about half a minute of one core */
  maxKdfRounds: 50_000_000,
} as const;

export const formatBytes = (bytes: number): string =>
  bytes >= MiB && bytes % MiB === 0 ? `${bytes / MiB} MiB` : bytes >= 1024 && bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`;

/** Why a decoded file was cut: the limit that applied, with its real number. */
export interface OutputCap {
  readonly bytes: number;
  readonly reason: string;
}

/**
 * The scan-wide counters behind the limits; one per scan. The scan's allowance grows with what
 * is read from the image, so a large image of ordinary archives is decoded whole while a bomb's
 * work stays linear in the bytes it came in.
 */
export class ContentBudget {
  #spent = 0;
  #held = 0;
  #read = 0;
  #kdf = 0;

  /** `base`: the allowance before anything is read; `kdfRounds`: for opening keystores (tests make them small) */
  constructor(
    private readonly base: number = CONTENT_LIMITS.maxScanBytes,
    private readonly kdfRounds: number = CONTENT_LIMITS.maxKdfRounds,
  ) {}

  /** Bytes of the image read (as its source stores them): each widens the allowance. */
  read(bytes: number): void {
    this.#read += bytes;
  }

  get allowance(): number {
    return this.base + CONTENT_LIMITS.scanBytesPerByteRead * this.#read;
  }

  /** How much of a file whose decoded bytes stream through the search may be decoded now: what is left of the scan's allowance. */
  streamCap(): OutputCap {
    const allowance = this.allowance;
    return {
      bytes: Math.max(0, allowance - this.#spent),
      reason: `the scan's decoded bytes reached ${formatBytes(allowance)} (limit per scan: ${formatBytes(this.base)} and ${CONTENT_LIMITS.scanBytesPerByteRead} times the image's bytes read)`,
    };
  }

  /**
   * How much of a file its decoder holds in memory whole may be decoded now: the per-file limit
   * within the scan's. No ratio of decoded to compressed bytes: ordinary files pass any fixed one
   * (a blank scan in a `.dcm.gz`, 500:1), and the scan's allowance bounds a bomb's work the same.
   */
  heldCap(): OutputCap {
    const left = this.streamCap();
    if (left.bytes < CONTENT_LIMITS.maxFileBytes) return left;
    return { bytes: CONTENT_LIMITS.maxFileBytes, reason: `decoded content over ${formatBytes(CONTENT_LIMITS.maxFileBytes)} (limit per file, for what is decoded in memory)` };
  }

  /**
   * Takes `rounds` of the scan's allowance for opening keystores; false (nothing taken) once it
   * is spent: a hostile layer of many keystores cannot make the scan spin on their KDFs.
   */
  kdf(rounds: number): boolean {
    if (this.#kdf + rounds > this.kdfRounds) return false;
    this.#kdf += rounds;
    return true;
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
