import type { NeedleTable } from "../findings/needles.js";
import type { ReusedInflater } from "./reused-inflater.js";
import type { ContentBudget } from "./limits.js";
import type { ContentFormat } from "./format.js";
import type { GatherPool } from "./gather-pool.js";

/**
 * Where the content of one layer entry reports. `inner` is the chain below the entry: "" for
 * the entry's own decoded bytes (a `.gz`), `!/BOOT-INF/x` for a member, `!/a.jar!/b` deeper.
 */
export interface ContentReport {
  hit(tag: number, inner: string, container: ContentFormat): void;
  /** A limit (or a method nobody here can read) kept the content from being searched: fails the scan by default. */
  notSearched(inner: string, reason: string): void;
  /**
   * The file is not a well-formed instance of the format its first bytes claim (a corrupt or
   * truncated archive, as test suites ship): what decoded before the fault was searched, and
   * its bytes were searched as they are, so nothing a reader of the format could get at went
   * unsearched. Said as a warning, never a failure.
   */
  unreadable(inner: string, reason: string): void;
}

export interface ContentContext {
  readonly needles: NeedleTable;
  readonly budget: ContentBudget;
  readonly report: ContentReport;
  /** raw deflate, one handle reused for every zip entry of the scan */
  readonly deflate: ReusedInflater;
  /** gzip (its members one after another), the layer's handle: a gzip inside an archive inflates through it as it goes */
  readonly gunzip: ReusedInflater;
  /** where files are gathered before they are decoded, one buffer reused for the scan */
  readonly gathers: GatherPool;
}

/** Bytes pushed in order, then the end. `chunk` is borrowed: valid only during the call. */
export interface ContentSink {
  write(chunk: Buffer): void;
  end(): void;
}

/** A member's place in the chain below its container's. */
export const memberPath = (inner: string, name: string): string => `${inner}!/${name.replace(/^(\.\/|\/)+/, "")}`;
