import { gunzipSync } from "node:zlib";
import { Decompress } from "fzstd";

/** An attestation statement is a few KiB of JSON; a layer that inflates past this is not one. */
const MAX_STATEMENT_BYTES = 64 * 1024 * 1024;

/**
 * An attestation layer's bytes as JSON text: BuildKit stores them plain, but nothing stops a
 * pusher from compressing the layer (its media type then says `+gzip`/`+zstd`, or not). Gzip
 * and zstd are undone by their magic; what does not decode is returned as it is, to be searched
 * as bytes.
 */
export function statementBytes(raw: Buffer): Buffer {
  try {
    if (raw.length > 2 && raw[0] === 0x1f && raw[1] === 0x8b) return gunzipSync(raw, { maxOutputLength: MAX_STATEMENT_BYTES });
    if (raw.length > 4 && raw.readUInt32LE(0) === 0xfd2fb528) return unzstd(raw) ?? raw;
  } catch {
    // not what its magic said: searched as it is
  }
  return raw;
}

/** zstd, streamed so that a frame that inflates past the bound stops there (undefined). */
function unzstd(raw: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let size = 0;
  let over = false;
  const stream = new Decompress((chunk) => {
    size += chunk.length;
    if (size > MAX_STATEMENT_BYTES) over = true;
    else parts.push(Buffer.from(chunk));
  });
  for (let at = 0; at < raw.length && !over; at += 64 * 1024) stream.push(raw.subarray(at, at + 64 * 1024), at + 64 * 1024 >= raw.length);
  return over ? undefined : Buffer.concat(parts);
}
