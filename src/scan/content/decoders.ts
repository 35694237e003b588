import { arDecoder } from "./ar.js";
import { base64TextDecoder } from "./base64-text.js";
import { brotliDecoder } from "./brotli.js";
import { bzip2Decoder } from "./bzip2.js";
import type { Decoder } from "./decoder.js";
import type { ContentFormat } from "./format.js";
import { elfDecoder } from "./elf-overlay.js";
import { gitBundleDecoder, gitPackDecoder } from "./git-pack.js";
import { gzipDecoder } from "./gzip.js";
import { cpioDecoder } from "./cpio.js";
import { jmodDecoder } from "./jmod.js";
import { lz4Decoder } from "./lz4.js";
import { lzipDecoder } from "./lzip.js";
import { lzmaAloneDecoder } from "./lzma-alone.js";
import { pkcs12Decoder } from "./pkcs12.js";
import { pngDecoder } from "./png.js";
import { rpmDecoder } from "./rpm.js";
import { scriptZipDecoder } from "./script-zip.js";
import { tarDecoder } from "./tar.js";
import { undecodedDecoder } from "./undecoded.js";
import { xzDecoder } from "./xz.js";
import { zipDecoder } from "./zip.js";
import { zlibDecoder } from "./zlib.js";
import { zstdDecoder } from "./zstd.js";

/** One decoder per format: a format without one fails to compile. */
export const DECODERS: Readonly<Record<ContentFormat, Decoder>> = {
  gzip: gzipDecoder,
  zip: zipDecoder,
  tar: tarDecoder,
  ar: arDecoder,
  bzip2: bzip2Decoder,
  xz: xzDecoder,
  zstd: zstdDecoder,
  zlib: zlibDecoder,
  "git-pack": gitPackDecoder,
  "git-bundle": gitBundleDecoder,
  lzma: lzmaAloneDecoder,
  lzip: lzipDecoder,
  rpm: rpmDecoder,
  cpio: cpioDecoder,
  brotli: brotliDecoder,
  script: scriptZipDecoder,
  png: pngDecoder,
  "7z": undecodedDecoder("7z"),
  rar: undecodedDecoder("rar"),
  lz4: lz4Decoder,
  jmod: jmodDecoder,
  base64: base64TextDecoder,
  elf: elfDecoder,
  pkcs12: pkcs12Decoder,
  squashfs: undecodedDecoder("squashfs"),
  compress: undecodedDecoder("compress"),
};
