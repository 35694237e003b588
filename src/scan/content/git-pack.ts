import { createHash } from "node:crypto";
import { memberPath } from "./content-report.js";
import { emit, gathered, type Decoder, type DecoderContext } from "./decoder.js";
import { applyDelta } from "./git-delta.js";
import { CONTENT_LIMITS } from "./limits.js";

const TYPES: Readonly<Record<number, string>> = { 1: "commit", 2: "tree", 3: "blob", 4: "tag", 6: "ofs-delta", 7: "ref-delta" };
const OFS_DELTA = 6;
const REF_DELTA = 7;
/** git's own default depth is 50 (`pack.depth`); older `gc --aggressive` used 250 */
const MAX_CHAIN = 256;
/** resolved objects kept as bases for the deltas after them */
const CACHE_BYTES = 32 * 1024 * 1024;

interface Header {
  readonly type: number;
  readonly size: number;
  /** where the zlib stream starts */
  readonly data: number;
  /** an ofs-delta's base: the offset of the object it patches */
  readonly base: number | null;
}

/** An object's header at `at`; null past the end or for a base offset out of the pack. */
function objectHeader(pack: Buffer, at: number): Header | null {
  const start = at;
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

type Inflated = { readonly header: Header; readonly content: Buffer; readonly next: number } | { readonly failed: "cut" | "corrupt" | "node" | "end"; readonly header: Header | null };

/** One object's zlib stream at `at`, inflated whole (up to `cap`), and where the next object starts. */
function inflateAt(dc: DecoderContext, pack: Buffer, at: number, cap: number): Inflated {
  const header = objectHeader(pack, at);
  if (header === null) return { failed: "end", header };
  if (header.size > cap) return { failed: "cut", header };
  const pieces: Buffer[] = [];
  const inflated = dc.deflate.inflateStream(pack.subarray(header.data + 2), cap, (piece) => pieces.push(Buffer.from(piece)));
  if (inflated === null) return { failed: "node", header };
  if (inflated.outcome !== "whole") return { failed: inflated.outcome, header };
  // the 2-byte zlib header, the deflate data, its 4-byte Adler-32
  const next = header.data + 2 + inflated.consumed + 4;
  if (next > pack.length) return { failed: "end", header };
  return { header, content: pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces), next };
}

/** Resolved objects by offset, oldest dropped first past CACHE_BYTES: the bases deltas after them patch. */
class Bases {
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
 * A git packfile (`.git/objects/pack/pack-*.pack`: a `COPY . .` that took `.git` along keeps
 * every committed value, removed or not): each object's zlib stream inflated and searched as a
 * member `!/TYPE@OFFSET`; each stream's end, found by the inflater, is the next object's start.
 * A delta against an object of the same pack (ofs-delta, what `git gc` writes) is resolved, so a
 * value a later commit scrubbed is found in the old version git keeps as a delta, even where the
 * delta splits it across its 127-byte inserts; only what that version adds to the pack is
 * reported (a value every version carries is reported once, where it is whole). A ref-delta
 * (its base named by id: `git fetch`'s thin packs, `repack.useDeltaBaseOffset=false`) is resolved
 * when its base is in the pack. A delta that does not resolve is searched as it is.
 */
export const gitPackDecoder: Decoder = (dc) => gathered(dc, "git-pack", (input) => readPack(dc, input));

/**
 * A git bundle (`git bundle create`: a repository's history in one file, a common way to carry a
 * checkout into a build): a header of refs up to a blank line, then a pack, read as one.
 */
export const gitBundleDecoder: Decoder = (dc) =>
  gathered(dc, "git-bundle", (input) => {
    const blank = input.indexOf("\n\n");
    if (blank === -1 || input.toString("latin1", blank + 2, blank + 6) !== "PACK") return dc.report.unreadable(dc.inner, "git bundle: no pack after its header");
    readPack(dc, input.subarray(blank + 2));
  });

function readPack(dc: DecoderContext, pack: Buffer): void {
  const count = pack.length >= 12 ? pack.readUInt32BE(8) : 0;
  const bases = new Bases();
  // every match of the pack so far: a resolved version reports only what is new in it
  const seen = new Set<number>();
  const record = (content: Buffer): void => dc.needles.matcher.scan(content, (tag) => seen.add(tag));
  // objects by id, for the ref-deltas, whose bases may come after them (a thin pack's, appended by --fix-thin)
  const ids = new Map<string, number>();
  const refDeltas: { at: number; header: Header; delta: Buffer }[] = [];
  const report = (at: number, resolved: { type: number; content: Buffer }): void => {
    dc.budget.spend(resolved.content.length);
    const inner = memberPath(dc.inner, `${TYPES[resolved.type] ?? `type${resolved.type}`}@${at}`);
    dc.needles.matcher.scan(resolved.content, (tag) => {
      if (seen.has(tag)) return;
      seen.add(tag);
      dc.report.hit(tag, inner, "git-pack");
    });
    bases.set(at, resolved.type, resolved.content);
    ids.set(objectId(resolved.type, resolved.content), at);
  };
  let at = 12;
  for (let i = 0; i < count; i++) {
    const cap = dc.budget.heldCap();
    const object = inflateAt(dc, pack, at, cap.bytes);
    const name = (type: number): string => memberPath(dc.inner, `${TYPES[type] ?? `type${type}`}@${at}`);
    if ("failed" in object) {
      const inner = object.header === null ? dc.inner : name(object.header.type);
      if (object.failed === "end") return dc.report.unreadable(dc.inner, `git-pack: object ${i} of ${count} past the end (cut short)`);
      if (object.failed === "node") return dc.report.notSearched(dc.inner, "git-pack: this node's zlib cannot tell where an object ends");
      if (object.failed === "corrupt") return dc.report.unreadable(inner, "git-pack: corrupt zlib stream, the objects after it not read");
      // the stream must be inflated whole to find the next object: without that, the rest is not searched
      return dc.report.notSearched(inner, `${cap.reason}; the pack's objects after it are not searched`);
    }
    const { header, content } = object;
    dc.budget.spend(content.length);
    const resolved = header.type === OFS_DELTA ? resolve(dc, pack, bases, header, content) : null;
    if (resolved !== null) report(at, resolved);
    else {
      if (content.length > 0) emit(dc, name(header.type), "git-pack", content);
      if (header.type === REF_DELTA) refDeltas.push({ at, header, delta: content });
      else if (header.type !== OFS_DELTA) {
        record(content);
        bases.set(at, header.type, content);
        ids.set(objectId(header.type, content), at);
      }
    }
    at = object.next;
  }
  resolveRefDeltas(dc, pack, bases, ids, refDeltas, report);
}

/**
 * Ref-deltas whose base is in the pack, found by its id, in rounds (a base may be another
 * ref-delta): each resolved version is reported as an ofs-delta's is. One whose base is not
 * here (a thin pack not fixed) stays searched as it is.
 */
function resolveRefDeltas(
  dc: DecoderContext,
  pack: Buffer,
  bases: Bases,
  ids: Map<string, number>,
  pending: { at: number; header: Header; delta: Buffer }[],
  report: (at: number, resolved: { type: number; content: Buffer }) => void,
): void {
  for (let round = 0; pending.length > 0 && round < MAX_CHAIN; round++) {
    const left = pending.filter((ref) => {
      const base = ids.get(pack.toString("hex", ref.header.data - 20, ref.header.data));
      if (base === undefined) return true;
      const root = bases.get(base) ?? reinflated(dc, pack, base, bases);
      const content = root === null ? null : applyDelta(root.content, ref.delta, CONTENT_LIMITS.maxFileBytes);
      if (root !== null && content !== null) report(ref.at, { type: root.type, content });
      return false;
    });
    if (left.length === pending.length) return;
    pending = left;
  }
}

/** A base the cache dropped: inflated again, or resolved again when an ofs-delta made it. */
function reinflated(dc: DecoderContext, pack: Buffer, at: number, bases: Bases): { type: number; content: Buffer } | null {
  const object = inflateAt(dc, pack, at, CONTENT_LIMITS.maxFileBytes);
  if ("failed" in object || object.header.type === REF_DELTA) return null;
  return object.header.type === OFS_DELTA ? resolve(dc, pack, bases, object.header, object.content) : { type: object.header.type, content: object.content };
}

/** git's object id: the SHA-1 of `TYPE SIZE\0` and the content. */
function objectId(type: number, content: Buffer): string {
  return createHash("sha1")
    .update(`${TYPES[type] ?? "unknown"} ${content.length}\0`)
    .update(content)
    .digest("hex");
}

/** The object an ofs-delta makes, with its chain of bases (from the cache, or inflated again); null when it does not resolve. */
function resolve(dc: DecoderContext, pack: Buffer, bases: Bases, header: Header, delta: Buffer): { type: number; content: Buffer } | null {
  const deltas = [delta];
  let base = header.base;
  let root: { type: number; content: Buffer } | undefined;
  while (root === undefined) {
    if (base === null || deltas.length > MAX_CHAIN) return null;
    root = bases.get(base);
    if (root !== undefined) break;
    const object = inflateAt(dc, pack, base, CONTENT_LIMITS.maxFileBytes);
    if ("failed" in object || object.header.type === REF_DELTA) return null;
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
