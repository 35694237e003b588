import type { Encoding, Variant } from "../match/variant.js";

/**
 * Pieces of a secret's forms as a log shows them when a RUN prints the value wrapped or dumped:
 * `base64 -w 20`, `fold -w 16`, `xxd` (both columns), `od -c`, `od -An -tx1`. Each line holds
 * a run of the value; a reader could put the runs back together. So a run of 8 or more bytes of
 * the value within a line is masked, in any form: 8 characters as written, 11 of base64, 16 of
 * hex or UTF-16. Short runs of blanks between characters are skipped (`od -c`, hex dumps).
 *
 * Cost: one hash probe per character of the log, whatever the number of secrets, into a table of
 * every WINDOW-character window of every form (blanks removed), each tagged with its forms' kinds.
 */
const WINDOW = 8;
/**
 * Blanks skipped between two characters: `od -c` pads each to 4 columns, so a space in the
 * value shows as 7 blanks between its neighbours. A longer run separates like a line break.
 */
const MAX_GAP = 8;
/** Windows kept at most, for all secrets together (about 10 bytes of memory each). */
const MAX_WINDOWS = 1 << 20;

/** How many characters of each kind of form carry 8 bytes of the value. */
const KINDS = [
  { min: 8, encodings: ["raw", "line", "field", "pem", "base64-decoded", "hex-decoded"] },
  { min: 11, encodings: ["base64", "base64url", "base64-utf16le"] },
  { min: 16, encodings: ["hex", "utf16le", "utf16be"] },
] as const satisfies readonly { min: number; encodings: readonly Encoding[] }[];

const LF = 0x0a;
const CR = 0x0d;
const isBlank = (b: number): boolean => b === 0x20 || b === 0x09;
const BASE64_TEXT = /^[A-Za-z0-9+/=_\s-]*$/;

function kindOf(v: Variant): number {
  // a PEM body is base64 text; its DER bytes are the value's own bytes
  if (v.encoding === "pem") return BASE64_TEXT.test(v.bytes.toString("latin1")) ? 1 : 0;
  const k = KINDS.findIndex((kind) => (kind.encodings as readonly Encoding[]).includes(v.encoding));
  return k === -1 ? 0 : k;
}

/** Where a run could still be starting at the end of a text: more bytes may complete it. */
export interface FragmentTail {
  /** offset in the text of the tail's first character (the text's length when there is none) */
  readonly start: number;
  /** characters in the tail, blanks not counted */
  readonly length: number;
}

export interface Fragments {
  /** Calls `found(start, end)` for each run long enough for its kind; returns the tail a stream must hold. */
  scan(text: Buffer, found: (start: number, end: number) => void): FragmentTail;
  /** Zero the tables (they hold the windows' bytes). */
  wipe(): void;
}

const hash = (lo: number, hi: number): number => {
  const h = Math.imul(lo, 0x9e3779b1) ^ Math.imul(hi ^ 0x7f4a7c15, 0x85ebca77);
  return (h ^ (h >>> 15)) >>> 0;
};

/** FNV-1a of the last `length` characters of a window ring, and the length: a window prefix's key. */
function prefixKey(chars: Uint8Array, from: number, length: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < length; i++) h = Math.imul(h ^ chars[(from + i) & 7]!, 0x01000193);
  return Math.imul(h ^ length, 0x9e3779b1) >>> 0;
}

/** The blank-free, line-free pieces of a form. */
function piecesOf(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let piece: number[] = [];
  const close = (): void => {
    if (piece.length >= WINDOW) out.push(Buffer.from(piece));
    piece.fill(0);
    piece = [];
  };
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    if (isBlank(b)) {
      let j = i + 1;
      while (j < bytes.length && isBlank(bytes[j]!)) j++;
      if (j - i > MAX_GAP) close();
      i = j;
      continue;
    }
    if (b === LF || b === CR) close();
    else piece.push(b);
    i++;
  }
  close();
  return out;
}

/** Compiles the forms given; undefined when none has a run of WINDOW characters. */
export function compileFragments(sources: readonly Variant[]): Fragments | undefined {
  const pieces: [Buffer, number][] = [];
  let windows = 0;
  for (const source of sources) {
    const kind = kindOf(source);
    for (const piece of piecesOf(source.bytes)) {
      if (windows + piece.length - WINDOW + 1 > MAX_WINDOWS) {
        piece.fill(0);
        continue;
      }
      windows += piece.length - WINDOW + 1;
      pieces.push([piece, kind]);
    }
  }
  if (windows === 0) return undefined;

  let size = 16;
  while (size < windows * 2) size *= 2;
  const mask = size - 1;
  const los = new Uint32Array(size);
  const his = new Uint32Array(size);
  /** bit k set: the window occurs in a form of kind k; 0: the slot is free */
  const kinds = new Uint8Array(size);
  // Prefixes of windows, as bits of a hashed set: a false hit only holds a few bytes longer.
  let bits = 1 << 16;
  while (bits < windows * (WINDOW - 1) * 32 && bits < 1 << 27) bits *= 2;
  const prefixes = new Int32Array(bits >>> 5);
  const bitMask = bits - 1;
  const ring = new Uint8Array(8);

  for (const [piece, kind] of pieces) {
    for (let i = 0; i + WINDOW <= piece.length; i++) {
      const lo = piece.readUInt32LE(i);
      const hi = piece.readUInt32LE(i + 4);
      let slot = hash(lo, hi) & mask;
      while (kinds[slot] !== 0 && (los[slot] !== lo || his[slot] !== hi)) slot = (slot + 1) & mask;
      kinds[slot]! |= 1 << kind;
      los[slot] = lo;
      his[slot] = hi;
      for (let j = 0; j < WINDOW; j++) ring[(i + j) & 7] = piece[i + j]!;
      for (let k = 1; k < WINDOW; k++) {
        const key = prefixKey(ring, i, k) & bitMask;
        prefixes[key >>> 5]! |= 1 << (key & 31);
      }
    }
    piece.fill(0);
  }
  ring.fill(0);

  const kindsAt = (lo: number, hi: number): number => {
    for (let slot = hash(lo, hi) & mask; kinds[slot] !== 0; slot = (slot + 1) & mask) {
      if (los[slot] === lo && his[slot] === hi) return kinds[slot]!;
    }
    return 0;
  };

  return {
    scan(text, found) {
      const n = text.length;
      // The last 8 characters of the current line (blanks skipped), and where each lies.
      const chars = new Uint8Array(8);
      const where = new Int32Array(8);
      let count = 0;
      let lo = 0;
      let hi = 0;
      // One open run per kind, in characters counted since the text's start.
      const runFrom = [-1, -1, -1];
      const runTo = [-1, -1, -1];
      const runStart = [0, 0, 0];
      const runEnd = [0, 0, 0];
      let k = -1;
      const close = (kind: number): void => {
        if (runFrom[kind]! !== -1 && runTo[kind]! - runFrom[kind]! >= KINDS[kind]!.min) found(runStart[kind]!, runEnd[kind]!);
        runFrom[kind] = -1;
      };
      const breakLine = (): void => {
        count = 0;
        for (let kind = 0; kind < KINDS.length; kind++) close(kind);
      };
      for (let i = 0; i < n; ) {
        const b = text[i]!;
        if (isBlank(b)) {
          let j = i + 1;
          while (j < n && isBlank(text[j]!)) j++;
          if (j - i > MAX_GAP) breakLine();
          i = j;
          continue;
        }
        if (b === LF || b === CR) {
          breakLine();
          i++;
          continue;
        }
        k++;
        chars[k & 7] = b;
        where[k & 7] = i;
        lo = (lo >>> 8) | ((hi & 0xff) << 24);
        hi = (hi >>> 8) | (b << 24);
        count++;
        i++;
        if (count < WINDOW) continue;
        const hit = kindsAt(lo >>> 0, hi >>> 0);
        if (hit === 0) continue;
        for (let kind = 0; kind < KINDS.length; kind++) {
          if ((hit & (1 << kind)) === 0) continue;
          // a window overlapping the open run extends it; one after it starts a new run
          if (runFrom[kind]! !== -1 && k - WINDOW + 1 < runTo[kind]!) {
            runTo[kind] = k + 1;
            runEnd[kind] = i;
            continue;
          }
          close(kind);
          runFrom[kind] = k - WINDOW + 1;
          runTo[kind] = k + 1;
          runStart[kind] = where[(k - WINDOW + 1) & 7]!;
          runEnd[kind] = i;
        }
      }
      // A run still open at the end, too short yet for its kind, may grow: it is the tail.
      let tail = { start: n, length: 0 };
      for (let kind = 0; kind < KINDS.length; kind++) {
        if (runFrom[kind]! !== -1 && runTo[kind]! === k + 1 && runTo[kind]! - runFrom[kind]! < KINDS[kind]!.min && runStart[kind]! < tail.start) {
          tail = { start: runStart[kind]!, length: runTo[kind]! - runFrom[kind]! };
        }
        close(kind);
      }
      // Else the last characters of the line may begin a window.
      for (let length = Math.min(count, WINDOW - 1); length > 0 && tail.length === 0; length--) {
        const key = prefixKey(chars, k - length + 1, length) & bitMask;
        if ((prefixes[key >>> 5]! & (1 << (key & 31))) !== 0) tail = { start: where[(k - length + 1) & 7]!, length };
      }
      chars.fill(0);
      lo = 0;
      hi = 0;
      return tail;
    },
    wipe() {
      los.fill(0);
      his.fill(0);
      kinds.fill(0);
      prefixes.fill(0);
    },
  };
}
