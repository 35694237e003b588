/** Below this a byte loop beats Buffer.copy's call (measured on apt's lists: most LZ4 sequences are short). */
const SHORT_COPY = 32;

/**
 * Decodes one LZ4 block (the sequence format of lz4's doc/lz4_Block_format.md) from
 * `src[s, sEnd)` into `dst` at `d`, never writing past `dEnd` nor reading a match before `dMin`
 * (the start of the history a linked block may reach). Returns where the output ends, or -1 for
 * a block that breaks the format: the caller reports it, nothing is thrown from the hot loop.
 * Written here: it is the hot path of decoding apt's lists, and the packages decode whole frames only.
 */
export function decodeLz4Block(src: Uint8Array, s: number, sEnd: number, dst: Buffer, d: number, dEnd: number, dMin: number): number {
  while (s < sEnd) {
    const token = src[s++]!;
    let literals = token >>> 4;
    if (literals === 15) {
      let more: number;
      do {
        if (s >= sEnd) return -1;
        more = src[s++]!;
        literals += more;
      } while (more === 255);
    }
    if (literals > 0) {
      if (s + literals > sEnd || d + literals > dEnd) return -1;
      if (literals < SHORT_COPY) for (let i = 0; i < literals; i++) dst[d++] = src[s++]!;
      else {
        dst.set(src.subarray(s, s + literals), d);
        s += literals;
        d += literals;
      }
    }
    // the last sequence holds literals only
    if (s === sEnd) return d;
    if (s + 2 > sEnd) return -1;
    const offset = src[s]! | (src[s + 1]! << 8);
    s += 2;
    if (offset === 0 || d - offset < dMin) return -1;
    let length = (token & 15) + 4;
    if ((token & 15) === 15) {
      let more: number;
      do {
        if (s >= sEnd) return -1;
        more = src[s++]!;
        length += more;
      } while (more === 255);
    }
    if (d + length > dEnd) return -1;
    let from = d - offset;
    if (offset >= length && length >= SHORT_COPY) {
      dst.copyWithin(d, from, from + length);
      d += length;
    } else {
      // an overlapping match repeats its last `offset` bytes: copied forward one by one
      for (let i = 0; i < length; i++) dst[d++] = dst[from++]!;
    }
  }
  return d;
}
