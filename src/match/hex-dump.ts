/**
 * Hex with separators, as dump tools print it: `od -An -tx1` and `hexdump -C` (bytes spaced,
 * 16 a line, hexdump's two halves of 8), `xxd` (2-byte groups, 16 a line), `od -x` and plain
 * `hexdump` (16-bit little-endian words: each pair of bytes swapped), `openssl … -text`
 * (`5a:6b:`, 15 a line), `xxd -i` (`0x5a, `, 12 a line), `\x5a` escapes (one line).
 *
 * Offset and text columns break a whole-value needle at every line, so the needles are pieces
 * of 8 bytes of the value, at the offsets that make one piece lie inside a line (or a half
 * line) wherever the value starts in it: for a value of 16 bytes or more, a half line of 8 is
 * inside it at one of the offsets 0..7, and again at 8..15 when the value is long enough
 * (spaced, and xxd's groups, which start at an even place of the line); a line
 * of 15 holds the piece at 0 or at 8; a line of 12 the piece at 0, 4 or 8.
 * test/match/hex-dump.test.ts dumps values at every start position with each tool's layout.
 */
export const MIN_DUMPED_BYTES = 16;
const PIECE = 8;
const SIXTEEN = Array.from({ length: 16 }, (_, i) => i);

const hexOf = (bytes: Buffer): string[] => [...bytes].map((b) => b.toString(16).padStart(2, "0"));

/** The layouts: bytes spaced (od, hexdump -C), xxd's groups, od -x's words, colon hex, C arrays. */
export type DumpLayout = "spaced" | "grouped" | "words" | "colon" | "array";

/** Each piece form: its layout, the offsets it is taken at, and how its bytes are written. */
const PIECE_FORMS: readonly { layout: DumpLayout; offsets: readonly number[]; write: (hex: string[]) => string }[] = [
  // 0..15: two candidates for each place a line can start (a piece that does not look random is left out)
  { layout: "spaced", offsets: SIXTEEN, write: (h) => h.join(" ") },
  { layout: "grouped", offsets: SIXTEEN, write: (h) => [0, 2, 4, 6].map((i) => h[i]! + h[i + 1]!).join(" ") },
  // `od -x` and `hexdump` with no options: 16-bit words, little-endian, so each pair swapped
  { layout: "words", offsets: SIXTEEN, write: (h) => [0, 2, 4, 6].map((i) => h[i + 1]! + h[i]!).join(" ") },
  { layout: "colon", offsets: [0, 8], write: (h) => h.join(":") },
  { layout: "colon", offsets: [0, 8], write: (h) => h.join(":").toUpperCase() },
  { layout: "array", offsets: [0, 4, 8], write: (h) => h.map((x) => `0x${x}`).join(", ") },
];

const ALL_LAYOUTS: ReadonlySet<DumpLayout> = new Set(PIECE_FORMS.map((f) => f.layout));

/**
 * A private key's numbers are dumped as `openssl pkey -text` prints them (colon hex, each number
 * from a line's start) and as C arrays of a DER or a seed (`xxd -i key.der`); a key file dumped
 * by od, hexdump or xxd is its own DER's dump (the `pem` sub-value's pieces). The spaced, grouped
 * and word layouts would cost 48 needles a number (docs/performance.md).
 */
export const KEY_NUMBER_LAYOUTS: ReadonlySet<DumpLayout> = new Set<DumpLayout>(["colon", "array"]);

/**
 * 8 bytes of a random secret do not turn up by chance; 8 bytes of a word or a run do (a dump of
 * a binary holding `password`). A piece needs 6 distinct bytes and two kinds of character
 * (lower, upper, digit, other).
 */
export function randomLooking(piece: Buffer): boolean {
  if (new Set(piece).size < 6) return false;
  const kinds = new Set([...piece].map((b) => (b >= 0x61 && b <= 0x7a ? 0 : b >= 0x41 && b <= 0x5a ? 1 : b >= 0x30 && b <= 0x39 ? 2 : 3)));
  return kinds.size >= 2;
}

/**
 * Bytes of a random number (a private key's): no word to fear, and one in nine of its 8-byte
 * pieces hold no byte that is a letter or digit; only a run is left out.
 */
export const randomBytesLooking = (piece: Buffer): boolean => new Set(piece).size >= 6;

/**
 * The whole value on one line as code and tools write bytes: `\x` escapes (either case), octal
 * escapes (`printf '\141\142'`, C strings), .NET's `BitConverter.ToString` (`61-62-…`, upper
 * case; lower case after `.ToLower()`), and a C, Java or C# array written without blanks
 * (`{0x61,0x62}`).
 */
function wholeValueForms(hex: readonly string[], value: Buffer): string[] {
  const escaped = hex.map((x) => `\\x${x}`).join("");
  const dashed = hex.join("-");
  return [
    escaped,
    escaped.replace(/x[0-9a-f]{2}/g, (m) => "x" + m.slice(1).toUpperCase()),
    [...value].map((b) => `\\${b.toString(8).padStart(3, "0")}`).join(""),
    dashed.toUpperCase(),
    dashed,
    hex.map((x) => `0x${x}`).join(","),
  ];
}

/** The dump forms of `value`: pieces in each layout, and the whole value in one-line forms. */
export function hexDumpForms(value: Buffer, looksRandom: (piece: Buffer) => boolean = randomLooking, layouts = ALL_LAYOUTS): Buffer[] {
  if (value.length < MIN_DUMPED_BYTES) return [];
  const out = new Set<string>();
  for (const form of PIECE_FORMS.filter((f) => layouts.has(f.layout))) {
    for (const at of form.offsets) {
      const piece = value.subarray(at, at + PIECE);
      if (looksRandom(piece)) out.add(form.write(hexOf(piece)));
    }
  }
  for (const form of wholeValueForms(hexOf(value), value)) out.add(form);
  return [...out].map((s) => Buffer.from(s, "latin1"));
}
