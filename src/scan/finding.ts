import type { Encoding } from "../match/variant.js";

export type FindingWhere = "file" | "path" | "linkname" | "env" | "label" | "history" | "config";

/** A layer as reports name it: index from the bottom (0-based), digests, and its history line. */
export interface LayerRef {
  readonly index: number;
  /** The blob digest where the source names one, else the diff_id (see scan/assemble.ts). */
  readonly digest: string;
  /** sha256 of the uncompressed layer tar (config rootfs.diff_ids); null when the config has none. */
  readonly diffId?: string | null;
  readonly createdBy: string | null;
}

/** One place a secret (or a rule) matched. Never holds any part of a value. */
export interface Finding {
  readonly secret: string | null;
  readonly rule: string | null;
  readonly where: FindingWhere;
  readonly layer: LayerRef | null;
  readonly path: string;
  readonly encoding: Encoding;
  readonly deleted: boolean;
  /** Set when several images were in one archive; index in manifest order. */
  readonly image?: number;
  /** Set when the match is inside a compressed file of the layer (its decompressed content). */
  readonly container?: "gzip";
}

export interface ScanStats {
  readonly layers: number;
  readonly files: number;
  readonly bytes: number;
  readonly durationMs: number;
}

export interface ScanResult {
  readonly image: { readonly ref: string; readonly id: string | null };
  readonly findings: readonly Finding[];
  readonly stats: ScanStats;
  /** Human-readable notes (short secrets skipped, a platform chosen); already free of values. */
  readonly warnings: readonly string[];
}
