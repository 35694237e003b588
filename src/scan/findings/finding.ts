import type { Encoding } from "../../match/variant.js";
import type { ContentFormat } from "../content/format.js";
import type { Severity } from "../../rules/rule.js";

export type FindingWhere = "file" | "path" | "linkname" | "env" | "label" | "history" | "config" | "annotation" | "attestation" | "manifest";

/** A layer as reports name it: index from the bottom (0-based), digests, and its history line. */
export interface LayerRef {
  readonly index: number;
  /** The blob digest where the source names one, else the diff_id (see scan/assemble.ts). */
  readonly digest: string;
  /** sha256 of the uncompressed layer tar (config rootfs.diff_ids); null when the config has none. */
  readonly diffId?: string | null;
  readonly createdBy: string | null;
}

/** An artifact attached to the image outside it (docs/registries.md "Referrers"), as reports name it. */
export interface ReferrerRef {
  /** the referrer manifest's digest */
  readonly manifest: string;
  /** the manifest it is attached to: the image index's, a platform image's, or another referrer's */
  readonly subject: string;
  /** how it was found: `referrers API`, `tag sha256-…` (the referrers tag schema), `tag sha256-….att` (cosign) */
  readonly via: string;
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
  /**
   * Where the secret stays visible in the final filesystem although this entry's own path does
   * not (deleted, replaced): hard links to this very file (then `deleted` is false), and the
   * visible paths of the same secret's other findings in the image. Set only when non-empty.
   */
  readonly visibleAt?: readonly string[];
  /** Set when several images were in one archive; index in manifest order. */
  readonly image?: number;
  /** `os/arch[/variant]` of the image when an index named it (CONTRACT.md: `image.platform`). */
  readonly platform?: string;
  /** An attestation finding's in-toto predicate type. */
  readonly predicateType?: string;
  /** Set when the finding is in an artifact attached to the image outside it (a referrer). */
  readonly referrer?: ReferrerRef;
  /**
   * A history finding's entry (its `created_by`, given secrets censored): what names its
   * Dockerfile line, as a layer's `createdBy` does; in no report.
   */
  readonly createdBy?: string;
  /** The Dockerfile instruction that made the layer, when known (CONTRACT.md Additions). */
  readonly dockerfile?: { readonly path: string; readonly line: number };
  /** Set when the match is inside a file of the layer (a decoded stream, an archive member): the format that held it. */
  readonly container?: ContentFormat;
  /** A pattern rule's finding: the rule's severity. */
  readonly severity?: Severity;
  /** A pattern rule's finding: the first and last 2 characters of what matched at most (`gh…Xy`), never more. */
  readonly preview?: string;
  /** A pattern rule's finding: `RULE:HEX`, stable, for `scan.ignore` entries; no part of the value. */
  readonly fingerprint?: string;
}

/** Content the scan could not read in full (a limit, an unknown or corrupt compression): never counted as clean. */
export interface NotSearched {
  /** the layer entry, with its chain inside (`app/app.jar!/lib/x.jar`) */
  readonly path: string;
  /** null: the image config, or a place the scan cannot name (pattern rules stopped in metadata) */
  readonly layer: LayerRef | null;
  /**
   * absent: nothing was searched there; `pattern rules`: known values were, the rules stopped
   * there (a limit); `secret`: the secret `secret` was searched nowhere (too short to search)
   */
  readonly scope?: typeof RULES_SCOPE | typeof SECRET_SCOPE;
  /** with scope `secret`: its id */
  readonly secret?: string;
  /** the limit (with its number) or the error that stopped it */
  readonly reason: string;
  readonly image?: number;
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
  readonly notSearched: readonly NotSearched[];
  readonly stats: ScanStats;
  /** Human-readable notes (short secrets skipped, a platform chosen); already free of values. */
  readonly warnings: readonly string[];
}

/** The scope of a notSearched entry where only the pattern rules stopped. */
export const RULES_SCOPE = "pattern rules";
/** The scope of a notSearched entry for a secret searched nowhere (shorter than the scanner's minimum). */
export const SECRET_SCOPE = "secret";
