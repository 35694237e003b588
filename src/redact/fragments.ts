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
  { min: 8, encodings: ["raw", "line", "field", "pem", "key-material", "base64-decoded", "hex-decoded"] },
  { min: 11, encodings: ["base64", "base64url", "base64-utf16le", "decoded-base64", "key-material-base64", "key-material-base64url"] },
  { min: 16, encodings: ["hex", "utf16le", "utf16be", "decoded-hex", "key-material-hex"] },
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

/** Where the run of blanks starting at `i` ends. */
function blanksEnd(bytes: Buffer, i: number): number {
  let j = i + 1;
  while (j < bytes.length && isBlank(bytes[j]!)) j++;
  return j;
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
      const j = blanksEnd(bytes, i);
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

/** The pieces of every form, each with its form's kind, and how many windows they hold. */
function collectPieces(sources: readonly Variant[]): { pieces: [Buffer, number][]; windows: number } {
  const pieces: [Buffer, number][] = [];
  let windows = 0;
  for (const source of sources) {
    const kind = kindOf(source);
    for (const piece of piecesOf(source.bytes)) {
      // past the memory cap a piece is dropped, not cut: its bytes are zeroed at once
      if (windows + piece.length - WINDOW + 1 > MAX_WINDOWS) {
        piece.fill(0);
        continue;
      }
      windows += piece.length - WINDOW + 1;
      pieces.push([piece, kind]);
    }
  }
  return { pieces, windows };
}

/** Every window of the forms, by value, and every proper prefix of one, as hashed bits. */
interface WindowTable {
  readonly mask: number;
  /** a window's first and last 4 bytes, little-endian, by slot (open addressing) */
  readonly los: Uint32Array;
  readonly his: Uint32Array;
  /** bit k set: the window occurs in a form of kind k; 0: the slot is free */
  readonly kinds: Uint8Array;
  readonly bitMask: number;
  readonly prefixes: Int32Array;
}

/** An empty table sized for `windows` windows: at most half full, prefixes at ~32 bits each. */
function allocateTable(windows: number): WindowTable {
  let size = 16;
  while (size < windows * 2) size *= 2;
  // Prefixes of windows, as bits of a hashed set: a false hit only holds a few bytes longer.
  let bits = 1 << 16;
  while (bits < windows * (WINDOW - 1) * 32 && bits < 1 << 27) bits *= 2;
  return {
    mask: size - 1,
    los: new Uint32Array(size),
    his: new Uint32Array(size),
    kinds: new Uint8Array(size),
    bitMask: bits - 1,
    prefixes: new Int32Array(bits >>> 5),
  };
}

function addWindow(table: WindowTable, lo: number, hi: number, kind: number): void {
  const { mask, los, his, kinds } = table;
  let slot = hash(lo, hi) & mask;
  while (kinds[slot] !== 0 && (los[slot] !== lo || his[slot] !== hi)) slot = (slot + 1) & mask;
  kinds[slot]! |= 1 << kind;
  los[slot] = lo;
  his[slot] = hi;
}

/** The kinds (as bits) of the forms holding the window, 0 when none does. */
function kindsAt(table: WindowTable, lo: number, hi: number): number {
  const { mask, los, his, kinds } = table;
  for (let slot = hash(lo, hi) & mask; kinds[slot] !== 0; slot = (slot + 1) & mask) {
    if (los[slot] === lo && his[slot] === hi) return kinds[slot]!;
  }
  return 0;
}

/** Marks the window held in `ring` from `from` as one whose proper prefixes may begin a run. */
function addPrefixes(table: WindowTable, ring: Uint8Array, from: number): void {
  for (let k = 1; k < WINDOW; k++) {
    const key = prefixKey(ring, from, k) & table.bitMask;
    table.prefixes[key >>> 5]! |= 1 << (key & 31);
  }
}

function hasPrefix(table: WindowTable, ring: Uint8Array, from: number, length: number): boolean {
  const key = prefixKey(ring, from, length) & table.bitMask;
  return (table.prefixes[key >>> 5]! & (1 << (key & 31))) !== 0;
}

/** Enters every window of the pieces; each piece is zeroed once entered, as the table holds its bytes. */
function fillTable(table: WindowTable, pieces: readonly [Buffer, number][]): void {
  const ring = new Uint8Array(8);
  for (const [piece, kind] of pieces) {
    for (let i = 0; i + WINDOW <= piece.length; i++) {
      addWindow(table, piece.readUInt32LE(i), piece.readUInt32LE(i + 4), kind);
      for (let j = 0; j < WINDOW; j++) ring[(i + j) & 7] = piece[i + j]!;
      addPrefixes(table, ring, i);
    }
    piece.fill(0);
  }
  ring.fill(0);
}

/** One open run per kind, in characters counted since the text's start; a run closed long enough is found. */
class Runs {
  private readonly from = [-1, -1, -1];
  private readonly to = [-1, -1, -1];
  /** offsets in the text of the run's first character and just past its last */
  private readonly start = [0, 0, 0];
  private readonly end = [0, 0, 0];
  private readonly found: (start: number, end: number) => void;

  constructor(found: (start: number, end: number) => void) {
    this.found = found;
  }

  close(kind: number): void {
    if (this.from[kind]! !== -1 && this.to[kind]! - this.from[kind]! >= KINDS[kind]!.min) this.found(this.start[kind]!, this.end[kind]!);
    this.from[kind] = -1;
  }

  closeAll(): void {
    for (let kind = 0; kind < KINDS.length; kind++) this.close(kind);
  }

  /** Adds the window of kinds `hit` ending at character `k`, lying in the text from `start` to `end`. */
  add(hit: number, k: number, start: number, end: number): void {
    for (let kind = 0; kind < KINDS.length; kind++) {
      if ((hit & (1 << kind)) === 0) continue;
      // a window overlapping the open run extends it; one after it starts a new run
      if (this.from[kind]! !== -1 && k - WINDOW + 1 < this.to[kind]!) {
        this.to[kind] = k + 1;
        this.end[kind] = end;
        continue;
      }
      this.close(kind);
      this.from[kind] = k - WINDOW + 1;
      this.to[kind] = k + 1;
      this.start[kind] = start;
      this.end[kind] = end;
    }
  }

  /** Closes every run; one still open at the last character `k`, too short yet for its kind, may grow: it is the tail. */
  finish(k: number, n: number): FragmentTail {
    let tail = { start: n, length: 0 };
    for (let kind = 0; kind < KINDS.length; kind++) {
      const length = this.to[kind]! - this.from[kind]!;
      if (this.from[kind]! !== -1 && this.to[kind]! === k + 1 && length < KINDS[kind]!.min && this.start[kind]! < tail.start) {
        tail = { start: this.start[kind]!, length };
      }
      this.close(kind);
    }
    return tail;
  }
}

/** The longest end of the line (`count` characters, the last at `k`) that may begin a window; none: length 0 at `n`. */
function lineTail(table: WindowTable, chars: Uint8Array, where: Int32Array, count: number, k: number, n: number): FragmentTail {
  for (let length = Math.min(count, WINDOW - 1); length > 0; length--) {
    if (hasPrefix(table, chars, k - length + 1, length)) return { start: where[(k - length + 1) & 7]!, length };
  }
  return { start: n, length: 0 };
}

function scanText(table: WindowTable, text: Buffer, found: (start: number, end: number) => void): FragmentTail {
  const n = text.length;
  // The last 8 characters of the current line (blanks skipped), and where each lies.
  const chars = new Uint8Array(8);
  const where = new Int32Array(8);
  let count = 0;
  let lo = 0;
  let hi = 0;
  let k = -1;
  const runs = new Runs(found);
  for (let i = 0; i < n; ) {
    const b = text[i]!;
    if (isBlank(b)) {
      const j = blanksEnd(text, i);
      if (j - i > MAX_GAP) {
        count = 0;
        runs.closeAll();
      }
      i = j;
      continue;
    }
    if (b === LF || b === CR) {
      count = 0;
      runs.closeAll();
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
    const hit = kindsAt(table, lo >>> 0, hi >>> 0);
    if (hit !== 0) runs.add(hit, k, where[(k - WINDOW + 1) & 7]!, i);
  }
  const runTail = runs.finish(k, n);
  // Else the last characters of the line may begin a window.
  const tail = runTail.length === 0 ? lineTail(table, chars, where, count, k, n) : runTail;
  chars.fill(0);
  lo = 0;
  hi = 0;
  return tail;
}

/** Compiles the forms given; undefined when none has a run of WINDOW characters. */
export function compileFragments(sources: readonly Variant[]): Fragments | undefined {
  const { pieces, windows } = collectPieces(sources);
  if (windows === 0) return undefined;
  const table = allocateTable(windows);
  fillTable(table, pieces);
  return {
    scan: (text, found) => scanText(table, text, found),
    wipe() {
      table.los.fill(0);
      table.his.fill(0);
      table.kinds.fill(0);
      table.prefixes.fill(0);
    },
  };
}
