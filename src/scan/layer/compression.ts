import { Transform } from "node:stream";
import * as zlib from "node:zlib";
import { Decompress } from "fzstd";

import type { Compression } from "./sniff-compression.js";

export { sniffCompression, type Compression } from "./sniff-compression.js";

const CHUNK = 256 * 1024;

type ZstdFactory = (options?: { chunkSize?: number }) => Transform;

/** Node >= 22.15 has zstd in zlib; older Nodes use fzstd's streaming decoder. */
function zstdStream(): Transform {
  const native = (zlib as unknown as { createZstdDecompress?: ZstdFactory }).createZstdDecompress;
  if (native) return native({ chunkSize: CHUNK });
  const decoder = new Decompress();
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      try {
        decoder.push(chunk);
        done();
      } catch (error) {
        done(asError(error));
      }
    },
    flush(done) {
      try {
        decoder.push(new Uint8Array(0), true);
        done();
      } catch (error) {
        done(asError(error));
      }
    },
  });
  decoder.ondata = (data) => {
    stream.push(Buffer.from(data.buffer, data.byteOffset, data.length));
  };
  return stream;
}

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error("zstd: corrupt data"));

/** A fresh decompressing stream; gzip handles multi-member input (eStargz). */
export const decompressors: Record<Exclude<Compression, "none">, () => Transform> = {
  gzip: () => zlib.createGunzip({ chunkSize: CHUNK }),
  zstd: zstdStream,
};
