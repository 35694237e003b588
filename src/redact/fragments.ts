/**
 * Pieces of a secret's forms as a log shows them when a RUN prints the value wrapped or dumped:
 * `base64 -w 20`, `fold -w 16`, `xxd` (both columns), `od -c`, `od -An -tx1`. Each line holds
 * a run of the value; a reader could put the runs back together. So any run of FRAGMENT_BYTES
 * or more consecutive bytes of a form within a line is masked, with short runs of blanks
 * between characters skipped (the spacing of `od -c` and of hex dumps).
 *
 * One hash lookup per byte of a line, whatever the number of secrets: a table of every
 * FRAGMENT_BYTES-byte window of every form (blanks removed), probed at each position.
 */
export const FRAGMENT_BYTES = 8;
/**
 * Blanks skipped between two characters: `od -c` pads each to 4 columns, so a space in the
 * value shows as 7 blanks between its neighbours. A longer run separates like a line break.
 */
const MAX_GAP = 8;
/** Windows kept at most, for all secrets together (about 20 bytes of memory each). */
const MAX_WINDOWS = 1 << 20;

const LF = 0x0a;
const CR = 0x0d;
const isBlank = (b: number): boolean => b === 0x20 || b === 0x09;

/** Where a run could still be starting at the end of a text: more bytes may complete it. */
export interface FragmentTail {
  /** offset in the text of the tail's first character (the text's length when there is none) */
  readonly start: number;
  /** characters in the tail, blanks not counted (0 to FRAGMENT_BYTES - 1) */
  readonly length: number;
}

export interface Fragments {
  /** Calls `found(start, end)` for each maximal run; returns the tail a stream must hold. */
  scan(text: Buffer, found: (start: number, end: number) => void): FragmentTail;
  /** Zero the tables (they hold the windows' bytes). */
  wipe(): void;
}

/** `text` with short blank runs removed and long ones turned into a line break, and where each byte came from. */
function compact(text: Buffer): { bytes: Buffer; map: Int32Array; length: number } {
  const n = text.length;
  const bytes = Buffer.allocUnsafe(n);
  const map = new Int32Array(n);
  let m = 0;
  for (let i = 0; i < n; ) {
    const b = text[i]!;
    if (isBlank(b)) {
      let j = i + 1;
      while (j < n && isBlank(text[j]!)) j++;
      if (j - i > MAX_GAP) {
        bytes[m] = LF;
        map[m++] = i;
      }
      i = j;
      continue;
    }
    bytes[m] = b;
    map[m++] = i;
    i++;
  }
  return { bytes, map, length: m };
}

const hash = (lo: number, hi: number): number => {
  const h = Math.imul(lo, 0x9e3779b1) ^ Math.imul(hi ^ 0x7f4a7c15, 0x85ebca77);
  return (h ^ (h >>> 15)) >>> 0;
};

/** FNV-1a of `length` bytes at `at`, and the length: the key of a window's prefix. */
function prefixKey(bytes: Buffer, at: number, length: number): number {
  let h = 0x811c9dc5;
  for (let i = at; i < at + length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return Math.imul(h ^ length, 0x9e3779b1) >>> 0;
}

/** Compiles the forms given; undefined when none has a run of FRAGMENT_BYTES. */
export function compileFragments(sources: readonly Buffer[]): Fragments | undefined {
  // Windows of each blank-free, line-free piece of each form.
  const pieces: Buffer[] = [];
  let windows = 0;
  for (const source of sources) {
    const { bytes, length } = compact(source);
    let from = 0;
    for (let i = 0; i <= length; i++) {
      if (i < length && bytes[i] !== LF && bytes[i] !== CR) continue;
      if (i - from >= FRAGMENT_BYTES && windows + i - from < MAX_WINDOWS) {
        pieces.push(Buffer.from(bytes.subarray(from, i)));
        windows += i - from - FRAGMENT_BYTES + 1;
      }
      from = i + 1;
    }
    bytes.fill(0);
  }
  if (windows === 0) return undefined;

  let size = 16;
  while (size < windows * 2) size *= 2;
  const mask = size - 1;
  const los = new Uint32Array(size);
  const his = new Uint32Array(size);
  const used = new Uint8Array(size);
  // Prefixes of windows, as bits of a hashed set: a false hit only holds a few bytes longer.
  let bits = 1 << 16;
  while (bits < windows * (FRAGMENT_BYTES - 1) * 32 && bits < 1 << 27) bits *= 2;
  const prefixes = new Uint32Array(bits >>> 5);
  const bitMask = bits - 1;
  const setBit = (k: number): void => void (prefixes[(k & bitMask) >>> 5]! |= 1 << (k & 31));
  const hasBit = (k: number): boolean => (prefixes[(k & bitMask) >>> 5]! & (1 << (k & 31))) !== 0;

  for (const piece of pieces) {
    for (let i = 0; i + FRAGMENT_BYTES <= piece.length; i++) {
      const lo = piece.readUInt32LE(i);
      const hi = piece.readUInt32LE(i + 4);
      let slot = hash(lo, hi) & mask;
      while (used[slot] === 1 && (los[slot] !== lo || his[slot] !== hi)) slot = (slot + 1) & mask;
      used[slot] = 1;
      los[slot] = lo;
      his[slot] = hi;
      for (let k = 1; k < FRAGMENT_BYTES; k++) setBit(prefixKey(piece, i, k));
    }
    piece.fill(0);
  }

  const has = (bytes: Buffer, at: number): boolean => {
    const lo = bytes.readUInt32LE(at);
    const hi = bytes.readUInt32LE(at + 4);
    for (let slot = hash(lo, hi) & mask; used[slot] === 1; slot = (slot + 1) & mask) {
      if (los[slot] === lo && his[slot] === hi) return true;
    }
    return false;
  };

  return {
    scan(text, found) {
      const { bytes, map, length } = compact(text);
      let runStart = -1;
      let runEnd = -1;
      for (let i = 0; i + FRAGMENT_BYTES <= length; i++) {
        if (!has(bytes, i)) continue;
        if (runStart !== -1 && i < runEnd) {
          runEnd = i + FRAGMENT_BYTES;
          continue;
        }
        if (runStart !== -1) found(map[runStart]!, map[runEnd - 1]! + 1);
        runStart = i;
        runEnd = i + FRAGMENT_BYTES;
      }
      if (runStart !== -1) found(map[runStart]!, map[runEnd - 1]! + 1);
      let tail: FragmentTail = { start: text.length, length: 0 };
      let lineStart = length;
      while (lineStart > 0 && bytes[lineStart - 1] !== LF && length - lineStart < FRAGMENT_BYTES - 1) lineStart--;
      for (let k = length - lineStart; k > 0; k--) {
        if (hasBit(prefixKey(bytes, length - k, k))) {
          tail = { start: map[length - k]!, length: k };
          break;
        }
      }
      bytes.fill(0, 0, length);
      return tail;
    },
    wipe() {
      los.fill(0);
      his.fill(0);
      used.fill(0);
      prefixes.fill(0);
    },
  };
}
