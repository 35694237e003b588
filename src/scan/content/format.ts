import { isSkippableFrame } from "../layer/sniff-compression.js";
import { INTEGER, OID, PKCS7_DATA, SEQUENCE } from "../../bytes/der.js";

/** What the content stage can open, named as reports name the container of a finding. */
export type ContentFormat =
  | "gzip"
  | "zip"
  | "tar"
  | "ar"
  | "bzip2"
  | "xz"
  | "zstd"
  | "zlib"
  | "git-pack"
  | "git-bundle"
  | "lzma"
  | "lzip"
  | "rpm"
  | "cpio"
  | "brotli"
  | "script"
  | "png"
  | "lz4"
  | "jmod"
  | "base64"
  | "elf"
  | "pkcs12"
  | UndecodedFormat;

/** Compressed or archive formats recognised by their magic but not decoded here: never a silent clean. */
export type UndecodedFormat = "7z" | "rar" | "squashfs" | "compress";

/** A tar's magic sits at 257..262: the most any format here needs to be told apart. */
export const HEAD_BYTES = 265;

const ZIP = [0x50, 0x4b, 0x03, 0x04];
const AR = [0x21, 0x3c, 0x61, 0x72, 0x63, 0x68, 0x3e, 0x0a]; // "!<arch>\n"
const XZ = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const ZSTD = [0x28, 0xb5, 0x2f, 0xfd];
const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const LZIP = [0x4c, 0x5a, 0x49, 0x50, 0x01]; // "LZIP", version 1
const RPM = [0xed, 0xab, 0xee, 0xdb];
const SEVEN_ZIP = [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c];
const RAR = [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07]; // "Rar!\x1a\x07", then 0 (RAR 4) or 1 0 (RAR 5)
const LZ4_FRAME = [0x04, 0x22, 0x4d, 0x18];
const LZ4_LEGACY = [0x02, 0x21, 0x4c, 0x18];
const SQUASHFS = [0x68, 0x73, 0x71, 0x73]; // "hsqs"
const JMOD = [0x4a, 0x4d, 0x01, 0x00, 0x50, 0x4b, 0x03, 0x04];
const PACK = [0x50, 0x41, 0x43, 0x4b, 0x00, 0x00, 0x00]; // "PACK", then version 2 or 3 (big-endian)

const startsWith = (head: Buffer, magic: readonly number[]): boolean => head.length >= magic.length && magic.every((byte, i) => head[i] === byte);

/**
 * The format of a file from its first bytes (up to HEAD_BYTES; fewer when the file is shorter),
 * or null. One look at the first byte picks the only candidate: decoders are never tried in turn,
 * and names never count (a jar renamed `.dat` is still a zip), but for brotli, which has no
 * magic: a file `name`d `*.br` that is nothing else.
 */
export function sniffFormat(head: Buffer, name = ""): ContentFormat | null {
  // zstd's skippable frames (0x184D2A50-5F): pzstd starts every file with one
  if (head.length >= 8 && isSkippableFrame(head)) return "zstd";
  switch (head[0]) {
    case 0x1f:
      if (head[1] === 0x8b) return "gzip";
      // Unix compress (`.Z`, LZW): its flags byte has the reserved bits clear and 9 to 16 code bits
      if (head[1] === 0x9d && head[2] !== undefined && (head[2] & 0x60) === 0 && (head[2] & 0x1f) >= 9 && (head[2] & 0x1f) <= 16) return "compress";
      break;
    case 0x50:
      if (startsWith(head, ZIP)) return "zip";
      if (startsWith(head, PACK) && (head[7] === 2 || head[7] === 3)) return "git-pack";
      break;
    case 0x21:
      if (startsWith(head, AR)) return "ar";
      break;
    case 0x4c:
      if (startsWith(head, LZIP)) return "lzip";
      break;
    case 0xed:
      if (startsWith(head, RPM)) return "rpm";
      break;
    case 0x30:
      if (isPkcs12(head)) return "pkcs12";
      if (isCpio(head)) return "cpio";
      break;
    case 0x37:
      if (startsWith(head, SEVEN_ZIP)) return "7z";
      break;
    case 0x04:
      // the frame descriptor's version bits: 01
      if (startsWith(head, LZ4_FRAME) && head[4] !== undefined && (head[4] & 0xc0) === 0x40) return "lz4";
      break;
    case 0x02:
      if (startsWith(head, LZ4_LEGACY)) return "lz4";
      break;
    case 0x68:
      if (isSquashfs(head)) return "squashfs";
      break;
    case 0x42:
      // "BZh" and a block size digit 1-9
      if (head[1] === 0x5a && head[2] === 0x68 && head[3] !== undefined && head[3] >= 0x31 && head[3] <= 0x39) return "bzip2";
      break;
    case 0xfd:
      if (startsWith(head, XZ)) return "xz";
      break;
    case 0x52:
      if (startsWith(head, RAR) && (head[6] === 0 || (head[6] === 1 && head[7] === 0))) return "rar";
      break;
    case 0x28:
      if (startsWith(head, ZSTD)) return "zstd";
      break;
    case 0x89:
      if (startsWith(head, PNG)) return "png";
      break;
    case 0x7f:
      // "\x7fELF", 32 or 64 bits, either byte order: what may follow its last byte (elf-overlay.ts)
      if (head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46 && (head[4] === 1 || head[4] === 2) && (head[5] === 1 || head[5] === 2)) return "elf";
      break;
    case 0x4a:
      // "JM", version 1.0, then a zip's first local header
      if (startsWith(head, JMOD)) return "jmod";
      break;
  }
  // "ustar" then NUL (POSIX) or two spaces (GNU)
  if (head.length >= 263 && head[257] === 0x75 && head.toString("latin1", 257, 262) === "ustar" && (head[262] === 0 || head[262] === 0x20)) return "tar";
  if (isGitBundle(head)) return "git-bundle";
  if (isBase64Payload(head)) return "base64";
  // "#!": a script, which may carry a zip after it (an executable jar, a zipapp, a pex)
  if (head[0] === 0x23 && head[1] === 0x21) return "script";
  if (isLzmaAlone(head)) return "lzma";
  if (isZlib(head)) return "zlib";
  // brotli has no magic bytes: the one format told by its name (precompressed web assets, `main.js.br`)
  return name.endsWith(".br") ? "brotli" : null;
}

/** A cpio archive in the portable ASCII formats (`cpio -H newc`, `-H crc`, `-H odc`): its magic, then a header of hex or octal digits only. */
function isCpio(head: Buffer): boolean {
  const magic = head.toString("latin1", 0, 6);
  if (magic === "070707") return head.length >= 76 && /^[0-7]{70}$/.test(head.toString("latin1", 6, 76));
  return (magic === "070701" || magic === "070702") && head.length >= 110 && /^[0-9a-fA-F]{104}$/.test(head.toString("latin1", 6, 110));
}

/** A squashfs image ("hsqs"): its block size a power of two from 4 KiB to 1 MiB, and its log written beside it. */
function isSquashfs(head: Buffer): boolean {
  if (head.length < 24 || !startsWith(head, SQUASHFS)) return false;
  const blockSize = head.readUInt32LE(12);
  const blockLog = head.readUInt16LE(22);
  return blockLog >= 12 && blockLog <= 20 && blockSize === 2 ** blockLog;
}

/**
 * A legacy .lzma file ("LZMA alone": `xz --format=lzma`, busybox `lzma`): properties byte
 * (lc, lp, pb) below 225, a dictionary of 2^n or 2^n + 2^(n-1) bytes from 4 KiB (as liblzma and
 * the LZMA SDK write it), an uncompressed size unknown (all ones) or below 2^40, and the range
 * coder's first byte, always 0. No magic: these together are what tell it from a binary.
 */
function isLzmaAlone(head: Buffer): boolean {
  if (head.length < 14 || head[0]! >= 225 || head[13] !== 0) return false;
  const dict = head.readUInt32LE(1);
  const low = dict & -dict;
  if (dict < 4096 || (dict !== low && dict !== low * 3)) return false;
  const high = head.readUInt32LE(9);
  return high === 0xffffffff ? head.readUInt32LE(5) === 0xffffffff : high < 0x100;
}

/**
 * A zlib stream (a loose git object, a raw zlib file): method 8 with a window of at most 32 KiB,
 * no preset dictionary, the header's check (a multiple of 31), and a first deflate block of a
 * valid type. Two bytes of evidence: random binaries pass about once in 2600, so a zlib file
 * that fails to inflate at its start is not reported at all (zlib.ts). Checked after tar: a
 * tar whose first name starts "x^" or "HK" is a tar.
 */
function isZlib(head: Buffer): boolean {
  const cmf = head[0]!;
  const flg = head[1]!;
  return head.length >= 8 && (cmf & 0x8f) === 0x08 && (cmf * 256 + flg) % 31 === 0 && (flg & 0x20) === 0 && (head[2]! & 0x06) !== 0x06;
}

/** `git bundle create`'s first line: "# v2 git bundle" or "# v3 git bundle". */
const isGitBundle = (head: Buffer): boolean => /^# v[23] git bundle\n/.test(head.toString("latin1", 0, 16));

/**
 * Base64 text of a gzip, zip, bzip2, xz or zstd stream (`gzip | base64`): the base64 of its
 * magic (`H4sI`, `UEsDB`, `QlpoO`…, `/Td6WFo`, `KLUv/`), then nothing but base64 and line breaks
 * as far as the head goes.
 */
function isBase64Payload(head: Buffer): boolean {
  // told by the first bytes before any string is made: every file's head comes here
  if (head.length < 16 || !BASE64_MAGICS.some((magic) => startsWith(head, magic))) return false;
  for (const byte of head) if (!BASE64_TEXT[byte]) return false;
  return true;
}

const BASE64_MAGICS = ["H4sI", "UEsDB", "QlpoM", "QlpoN", "QlpoO", "/Td6WFo", "KLUv/"].map((m) => [...Buffer.from(m, "latin1")]);
/** The base64 alphabet, `=` and blanks. */
const BASE64_TEXT: readonly boolean[] = Array.from({ length: 256 }, (_, b) => /[A-Za-z0-9+/=\s]/.test(String.fromCharCode(b)));

/** A PFX's first bytes: SEQUENCE, version 3, then the authSafe ContentInfo of type data. */
function isPkcs12(head: Buffer): boolean {
  if (head[0] !== SEQUENCE || head[1] === undefined) return false;
  const at = head[1] & 0x80 ? 2 + (head[1] & 0x7f) : 2;
  if (head[at] !== INTEGER || head[at + 1] !== 1 || head[at + 2] !== 3 || head[at + 3] !== SEQUENCE) return false;
  const info = at + 4 + (head[at + 4]! & 0x80 ? 1 + (head[at + 4]! & 0x7f) : 1);
  return head[info] === OID && head[info + 1] === PKCS7_DATA.length && head.subarray(info + 2, info + 2 + PKCS7_DATA.length).equals(PKCS7_DATA);
}
