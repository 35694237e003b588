/** One DER element: its tag, and where its content starts and ends in the buffer read. */
export interface Tlv {
  readonly tag: number;
  /** where its tag is */
  readonly at: number;
  readonly start: number;
  readonly end: number;
}

/**
 * The element at `at` (a single-byte tag, a definite length of up to 4 bytes), within `limit`;
 * null for anything else (BER's indefinite lengths included). Written here: the content stage
 * reads only the few fields of a PKCS#12 file that lead to its keys.
 */
export function readTlv(buf: Buffer, at: number, limit = buf.length): Tlv | null {
  if (at + 2 > limit) return null;
  const tag = buf[at]!;
  if ((tag & 0x1f) === 0x1f) return null;
  let length = buf[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4 || start + bytes > limit) return null;
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + buf[start + i]!;
    start += bytes;
  }
  const end = start + length;
  return end > limit ? null : { tag, at, start, end };
}

/** The elements inside a constructed one, in order; null when one of them does not parse. */
export function children(buf: Buffer, parent: Tlv, max = Infinity): Tlv[] | null {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end; ) {
    const child = readTlv(buf, at, parent.end);
    // more than `max`: null too (a caller that knows its structure's size bounds its work)
    if (child === null || out.length === max) return null;
    out.push(child);
    at = child.end;
  }
  return out;
}

export const SEQUENCE = 0x30;
export const OCTET_STRING = 0x04;
export const OID = 0x06;
export const INTEGER = 0x02;
/** `[0]`, constructed: an EXPLICIT field */
export const CONTEXT_0 = 0xa0;

/** An OID's content bytes as dotted text is not needed: these compare the DER content bytes. */
export const oidBytes = (hex: string): Buffer => Buffer.from(hex, "hex");

/** PKCS#7 data (1.2.840.113549.1.7.1): what a PKCS#12 file's authSafe and its plain parts are */
export const PKCS7_DATA = oidBytes("2a864886f70d010701");
