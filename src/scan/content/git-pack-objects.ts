import { createHash } from "node:crypto";
import { memberPath } from "./content-report.js";
import type { DecoderContext } from "./decoder.js";
import { applyDelta } from "./git-delta.js";
import { CONTENT_LIMITS } from "./limits.js";

export const TYPES: Readonly<Record<number, string>> = { 1: "commit", 2: "tree", 3: "blob", 4: "tag", 6: "ofs-delta", 7: "ref-delta" };
export const OFS_DELTA = 6;
export const REF_DELTA = 7;
/** git's own default depth is 50 (`pack.depth`); older `gc --aggressive` used 250 */
const MAX_CHAIN = 256;
/** resolved objects kept as bases for the deltas after them */
export const CACHE_BYTES = 32 * 1024 * 1024;

export interface Header {
  readonly type: number;
  readonly size: number;
  /** where the zlib stream starts */
  readonly data: number;
  /** an ofs-delta's base: the offset of the object it patches */
  readonly base: number | null;
}

/**
 * An object's header at `at`; null past the end or for a base offset out of the pack. `position`:
 * where the object sits in the pack, when `pack` holds only its header.
 */
export function objectHeader(pack: Buffer, at: number, position = at): Header | null {
  const start = position;
  let byte = pack[at++];
  if (byte === undefined) return null;
  const type = (byte >> 4) & 7;
  let size = byte & 0x0f;
  for (let shift = 4; byte! & 0x80; shift += 7) {
    byte = pack[at++];
    if (byte === undefined || shift > 49) return null;
    size += (byte & 0x7f) * 2 ** shift;
  }
  let base: number | null = null;
  if (type === OFS_DELTA) {
    // git's offset encoding: each continuation adds one before shifting (no two encodings of one number)
    byte = pack[at++];
    if (byte === undefined) return null;
    let back = byte & 0x7f;
    while (byte! & 0x80) {
      byte = pack[at++];
      if (byte === undefined || back > 2 ** 45) return null;
      back = (back + 1) * 128 + (byte & 0x7f);
    }
    base = start - back;
    if (base < 12) return null;
  } else if (type === REF_DELTA) {
    at += 20;
  }
  return at + 2 > pack.length ? null : { type, size, data: at, base };
}

export interface Resolved {
  readonly type: number;
  readonly content: Buffer;
}

/** An object as the pack stores it, read again at its offset (null when it cannot be: a stream read once). */
export type Refetch = (offset: number) => { header: Header; content: Buffer } | null;

/** Resolved objects by offset, oldest dropped first past CACHE_BYTES: the bases deltas after them patch. */
export class Bases {
  readonly #objects = new Map<number, { type: number; content: Buffer }>();
  #bytes = 0;

  get(offset: number): { type: number; content: Buffer } | undefined {
    return this.#objects.get(offset);
  }

  set(offset: number, type: number, content: Buffer): void {
    if (content.length > CACHE_BYTES) return;
    this.#objects.set(offset, { type, content });
    this.#bytes += content.length;
    for (const [key, value] of this.#objects) {
      if (this.#bytes <= CACHE_BYTES) break;
      this.#objects.delete(key);
      this.#bytes -= value.content.length;
    }
  }
}

/**
 * What a pack's objects add up to, whichever way the pack is read: the matches seen so far (a
 * resolved version reports only what is new in it), the cache of bases, objects by id, and the
 * ref-deltas waiting for theirs (a thin pack's bases may come after them).
 */
export class PackObjects {
  readonly bases = new Bases();
  readonly #seen = new Set<number>();
  readonly #ids = new Map<string, number>();
  readonly #refDeltas: { at: number; baseId: string; delta: Buffer }[] = [];

  constructor(private readonly dc: DecoderContext) {}

  /** A whole object (not a delta), searched already as a member: its matches, the cache, its id. */
  whole(at: number, type: number, content: Buffer): void {
    this.dc.needles.matcher.scan(content, (tag) => this.#seen.add(tag));
    this.bases.set(at, type, content);
    this.#ids.set(objectId(type, content), at);
  }

  /** A delta resolved: what it adds is reported as a hit of the version it makes. */
  report(at: number, resolved: Resolved): void {
    this.dc.budget.spend(resolved.content.length);
    const inner = memberPath(this.dc.inner, `${TYPES[resolved.type] ?? `type${resolved.type}`}@${at}`);
    this.dc.needles.matcher.scan(resolved.content, (tag) => {
      if (this.#seen.has(tag)) return;
      this.#seen.add(tag);
      this.dc.report.hit(tag, inner, "git-pack");
    });
    this.bases.set(at, resolved.type, resolved.content);
    this.#ids.set(objectId(resolved.type, resolved.content), at);
  }

  refDelta(at: number, baseId: string, delta: Buffer): void {
    this.#refDeltas.push({ at, baseId, delta });
  }

  /**
   * Ref-deltas whose base is in the pack, found by its id, in rounds (a base may be another
   * ref-delta): each resolved version is reported as an ofs-delta's is. One whose base is not
   * here (a thin pack not fixed) stays searched as it is.
   */
  resolveRefDeltas(refetch: Refetch): void {
    let pending = this.#refDeltas;
    for (let round = 0; pending.length > 0 && round < MAX_CHAIN; round++) {
      const left = pending.filter((ref) => {
        const base = this.#ids.get(ref.baseId);
        if (base === undefined) return true;
        const root = this.bases.get(base) ?? this.#again(base, refetch);
        const content = root === null ? null : applyDelta(root.content, ref.delta, CONTENT_LIMITS.maxFileBytes);
        if (root !== null && content !== null) this.report(ref.at, { type: root.type, content });
        return false;
      });
      if (left.length === pending.length) return;
      pending = left;
    }
  }

  /** The object an ofs-delta makes, with its chain of bases (from the cache, or read again); null when it does not resolve. */
  resolve(header: Header, delta: Buffer, refetch: Refetch): Resolved | null {
    const deltas = [delta];
    let base = header.base;
    let root: Resolved | undefined;
    while (root === undefined) {
      if (base === null || deltas.length > MAX_CHAIN) return null;
      root = this.bases.get(base);
      if (root !== undefined) break;
      const object = refetch(base);
      if (object === null || object.header.type === REF_DELTA) return null;
      if (object.header.type !== OFS_DELTA) root = { type: object.header.type, content: object.content };
      else {
        deltas.push(object.content);
        base = object.header.base;
      }
    }
    let content = root.content;
    for (let i = deltas.length - 1; i >= 0; i--) {
      const patched = applyDelta(content, deltas[i]!, CONTENT_LIMITS.maxFileBytes);
      if (patched === null) return null;
      content = patched;
    }
    return { type: root.type, content };
  }

  /** A base the cache dropped: read again, or resolved again when an ofs-delta made it. */
  #again(at: number, refetch: Refetch): Resolved | null {
    const object = refetch(at);
    if (object === null || object.header.type === REF_DELTA) return null;
    return object.header.type === OFS_DELTA ? this.resolve(object.header, object.content, refetch) : { type: object.header.type, content: object.content };
  }
}

/** git's object id: the SHA-1 of `TYPE SIZE\0` and the content. */
function objectId(type: number, content: Buffer): string {
  return createHash("sha1")
    .update(`${TYPES[type] ?? "unknown"} ${content.length}\0`)
    .update(content)
    .digest("hex");
}
