/**
 * Where an archive appended to a script begins: makeself's `.run`/`.sh` installers, Miniconda's
 * and other self-extracting scripts put a gzip, xz, bzip2, zstd or lzip stream (or a plain tar)
 * right after the script's last line, and `tail -n +N "$0"` reads it back. -1 when no line of the
 * script is followed by one of those magics.
 */
export function appendedArchiveAt(file: Buffer): number {
  let first = -1;
  for (const magic of MAGICS) {
    const at = file.indexOf(magic, 1);
    if (at !== -1 && (first === -1 || at + 1 < first)) first = at + 1;
  }
  const bzip2 = bzip2AfterLine(file, first === -1 ? file.length : first);
  if (bzip2 !== -1) first = bzip2;
  const tar = tarAfterLine(file, first === -1 ? file.length : first);
  return tar !== -1 ? tar : first;
}

/** Each magic after the newline that ends the script's line (so never inside a line of text). */
const MAGICS: readonly Buffer[] = [
  Buffer.from([0x0a, 0x1f, 0x8b, 0x08]), // gzip, deflate
  Buffer.from([0x0a, 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), // xz
  Buffer.from([0x0a, 0x28, 0xb5, 0x2f, 0xfd]), // zstd
  Buffer.from("\nLZIP\x01", "latin1"), // lzip
];

/** After "BZh" and a block size: the first block's magic (pi), or an empty stream's end (sqrt pi). */
const BZIP2_BLOCKS = [Buffer.from("1AY&SY"), Buffer.from([0x17, 0x72, 0x45, 0x38, 0x50, 0x90])];

const isBzip2At = (file: Buffer, at: number): boolean => {
  const size = file[at + 3]!;
  return size >= 0x31 && size <= 0x39 && BZIP2_BLOCKS.some((block) => file.subarray(at + 4, at + 10).equals(block));
};

/** A bzip2 stream starting a line before `before`: "BZh" alone is text a script may hold. */
function bzip2AfterLine(file: Buffer, before: number): number {
  let from = 1;
  for (let looks = 0; looks < TAR_LOOKS; looks++) {
    const at = file.indexOf("\nBZh", from, "latin1");
    if (at === -1 || at + 1 >= before) return -1;
    if (isBzip2At(file, at + 1)) return at + 1;
    from = at + 4;
  }
  return -1;
}

/** Occurrences of "ustar" looked at: a script may say the word; a tar after it is at most a few in. */
const TAR_LOOKS = 64;

/** A tar header starting a line before `before`: its "ustar" magic sits 257 bytes in. */
function tarAfterLine(file: Buffer, before: number): number {
  let from = 258;
  for (let looks = 0; looks < TAR_LOOKS; looks++) {
    const at = file.indexOf("ustar", from, "latin1");
    if (at === -1 || at - 257 >= before) return -1;
    const start = at - 257;
    const after = file[at + 5];
    if (file[start - 1] === 0x0a && (after === 0 || after === 0x20)) return start;
    from = at + 5;
  }
  return -1;
}
