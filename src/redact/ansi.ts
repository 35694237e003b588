/** The text a terminal shows, byte for byte, with where each byte came from. */
export interface Stripped {
  /** `source` without escape sequences and carriage returns (`source` itself when it has none). */
  readonly text: Buffer;
  /** Offset in `source` of each byte of `text`; undefined when nothing was stripped. */
  readonly map: Int32Array | undefined;
  /** Where an escape sequence starts that the end of `source` cuts short, else source.length. */
  readonly incompleteFrom: number;
}

const ESC = 0x1b;
const BEL = 0x07;
const CR = 0x0d;
/** An OSC hyperlink is long; anything longer is not an escape sequence still being written. */
const MAX_ESCAPE = 4096;

/** OSC, DCS, SOS, PM, APC: a string ended by BEL or ESC \\. */
export const isStringKind = (kind: number): boolean => kind === 0x5d || kind === 0x50 || kind === 0x58 || kind === 0x5e || kind === 0x5f;

/**
 * Index just past the escape sequence at `i` (ESC), or -1 when `buf` ends inside it. With
 * `keepStrings`, a string sequence ends after its introducer: its text is read as shown.
 */
function escapeEnd(buf: Buffer, i: number, keepStrings: boolean): number {
  const n = buf.length;
  if (i + 1 >= n) return -1;
  const kind = buf[i + 1]!;
  if (keepStrings && isStringKind(kind)) return i + 2;
  if (kind === 0x5b) {
    // CSI: parameters, intermediates, one final byte.
    let j = i + 2;
    while (j < n && buf[j]! >= 0x30 && buf[j]! <= 0x3f) j++;
    while (j < n && buf[j]! >= 0x20 && buf[j]! <= 0x2f) j++;
    if (j >= n) return -1;
    return buf[j]! >= 0x40 && buf[j]! <= 0x7e ? j + 1 : j;
  }
  if (isStringKind(kind)) {
    for (let j = i + 2; j < n; j++) {
      if (buf[j] === BEL) return j + 1;
      if (buf[j] === ESC) return j + 1 >= n ? -1 : buf[j + 1] === 0x5c ? j + 2 : j;
    }
    return -1;
  }
  let j = i + 1;
  while (j < n && buf[j]! >= 0x20 && buf[j]! <= 0x2f) j++;
  if (j >= n) return -1;
  return buf[j]! >= 0x30 && buf[j]! <= 0x7e ? j + 1 : j;
}

/**
 * Removes ANSI escape sequences (CSI, OSC and the other string sequences, two-byte escapes)
 * and carriage returns, so a value drawn with colour codes inside it, or rewritten by a
 * progress line, is matched as the terminal shows it. With `keepStrings` a string sequence's
 * text stays (its introducer, ST and BEL go): what a log viewer that ignores them shows.
 */
export function stripControls(source: Buffer, keepStrings = false): Stripped {
  const n = source.length;
  let first = -1;
  for (let i = 0; i < n; i++) {
    const b = source[i];
    if (b === ESC || b === CR || (keepStrings && b === BEL)) {
      first = i;
      break;
    }
  }
  if (first === -1) return { text: source, map: undefined, incompleteFrom: n };
  const text = Buffer.allocUnsafe(n);
  const map = new Int32Array(n);
  let length = 0;
  for (let i = 0; i < first; i++) {
    text[i] = source[i]!;
    map[i] = i;
  }
  length = first;
  let incompleteFrom = n;
  for (let i = first; i < n; ) {
    const b = source[i]!;
    if (b === CR || (keepStrings && b === BEL)) {
      i++;
      continue;
    }
    if (b === ESC) {
      const end = escapeEnd(source, i, keepStrings);
      if (end === -1 && n - i <= MAX_ESCAPE) {
        incompleteFrom = i;
        break;
      }
      i = Math.max(end, i + 1);
      continue;
    }
    text[length] = b;
    map[length] = i;
    length++;
    i++;
  }
  return { text: text.subarray(0, length), map: map.subarray(0, length), incompleteFrom };
}
