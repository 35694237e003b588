import type { RuleSpec } from "../../rules/rule.js";

/** What the layer thread and its starter share: a ring of slots in shared memory. */
export interface DigestSetup {
  readonly ctrl: SharedArrayBuffer;
  readonly ring: SharedArrayBuffer;
  readonly slots: number;
  readonly slotBytes: number;
}

/**
 * ctrl: slots published, slots consumed, thread state, the count of consumed slots the starter
 * waits for (0: it does not wait) and whether the thread waits for a slot to come (a wake-up is a
 * system call: made only then); then per slot: kind, stream, length
 */
export const HEAD = 0;
export const TAIL = 1;
export const STATE = 2;
export const STARTER_WAITS = 3;
export const THREAD_WAITS = 4;
export const META = 6;
export const READY = 1;
export const DEAD = 2;
export const DATA = 1;
export const FINISH = 2;
/**
 * Opens a stream whose tar entries the thread searches for the rules' keywords (the slot's bytes:
 * the rule set's id, u32, and the window bytes the rules may examine, f64; OPEN_BYTES in all):
 * OPEN_TAR for an unpacked layer, OPEN_SNIFF for a layer as stored, walked only when its first
 * bytes say it is not compressed (the same sniff as the walk's).
 */
export const OPEN_TAR = 3;
export const OPEN_SNIFF = 4;
export const OPEN_BYTES = 12;

/** Pattern rules as data: compiled again on the thread, in the same order (indexes agree). */
export interface ThreadRuleSet {
  /** unique in the process: the thread compiles each set once */
  readonly id: number;
  readonly rules: readonly { readonly rule: RuleSpec; readonly from: string; readonly trusted: boolean }[];
}

/** A rule set for the thread, posted before the first stream that names it. */
export interface RulesMessage {
  readonly type: "rules";
  readonly set: ThreadRuleSet;
}

/** A rule's match in a layer's tar entry, found on the thread: the starter decides whether it is a finding. */
export interface ThreadRuleMatch {
  readonly rule: number;
  /** the entry's position in the layer (1-based, as the walk counts) and its normalized path */
  readonly entry: number;
  readonly path: string;
  /** where the secret starts in the entry's content */
  readonly offset: number;
  /** the matched bytes: wiped by the receiver once judged */
  readonly secret: Uint8Array;
}

/** What the rules found in one stream's entries, and the window bytes they examined. */
export interface ThreadRuleResult {
  readonly matches: readonly ThreadRuleMatch[];
  readonly windowBytes: number;
  /** where the window budget ran out (the rest of the stream was not examined by the rules), or null */
  readonly stoppedAt: { readonly entry: number; readonly path: string } | null;
  /** the walk could not read the stream as a tar past some point (the walk on the starter says why) */
  readonly failed: boolean;
}

/** A finished stream's digest, posted to the starter, with its rule matches when it was walked. */
export interface DigestMessage {
  readonly stream: number;
  readonly digest: string;
  readonly rules?: ThreadRuleResult | undefined;
}
