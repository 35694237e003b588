import { corrupt, emit, gathered, type Decoder, type DecoderContext } from "./decoder.js";
import { decodeBounded } from "./lzma-alone.js";

const HEADER = 6;
const TRAILER = 20;
/** lzip's fixed LZMA properties: lc=3, lp=0, pb=2 */
const PROPERTIES = 0x5d;

class Damaged extends Error {}

/** The dictionary size coded in a member's sixth byte: a power of two less up to seven sixteenths of it. */
function dictionarySize(coded: number): number {
  const base = 2 ** (coded & 0x1f);
  return base - (base / 16) * (coded >> 5);
}

/** The members of an lzip file, found from its end as lzip itself does: each trailer ends with its member's size. */
function membersOf(input: Buffer): Buffer[] {
  const members: Buffer[] = [];
  let end = input.length;
  while (end > 0) {
    if (end < HEADER + TRAILER) throw new Damaged("lzip: member shorter than its header and trailer");
    const size = Number(input.readBigUInt64LE(end - 8));
    if (size < HEADER + TRAILER || size > end) throw new Damaged("lzip: member size out of the file");
    const member = input.subarray(end - size, end);
    if (member.toString("latin1", 0, 4) !== "LZIP" || member[4] !== 1) throw new Damaged("lzip: no member header where the trailer says");
    members.push(member);
    end -= size;
  }
  return members.reverse();
}

/**
 * An lzip file (`lzip`, `tar --lzip`): each member is an LZMA stream with fixed properties, so it
 * is decoded as a legacy .lzma stream with the header lzip leaves out (its size from the
 * trailer), under the same output cap. Multi-member files (`cat a.lz b.lz`, plzip) decode whole.
 */
export const lzipDecoder: Decoder = (dc) => gathered(dc, "lzip", (input) => readLzip(dc, input));

function readLzip(dc: DecoderContext, input: Buffer): void {
  const cap = dc.budget.heldCap();
  const parts: Buffer[] = [];
  let total = 0;
  try {
    for (const member of membersOf(input)) {
      const header = Buffer.alloc(13);
      header[0] = PROPERTIES;
      header.writeUInt32LE(dictionarySize(member[5]!), 1);
      header.writeBigUInt64LE(member.readBigUInt64LE(member.length - 16), 5);
      const output = decodeBounded(Buffer.concat([header, member.subarray(HEADER, member.length - TRAILER)]), { bytes: cap.bytes - total, reason: cap.reason });
      if (output === null) {
        dc.report.notSearched(dc.inner, cap.reason);
        break;
      }
      total += output.length;
      parts.push(output);
    }
  } catch (error) {
    dc.report.unreadable(dc.inner, error instanceof Damaged ? error.message : corrupt("lzip", error));
  }
  if (parts.length === 0) return;
  dc.budget.spend(total);
  emit(dc, dc.inner, "lzip", parts.length === 1 ? parts[0]! : Buffer.concat(parts));
}
