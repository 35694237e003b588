/** Where an entry's body goes (tar-walker.ts's EntrySink, restated: the walker imports this file). */
interface BodySink {
  data(chunk: Buffer): void;
  end(): void;
}

/** A map longer than this is no map GNU tar wrote (64 Ki pieces of 20-digit numbers fit): pass it on as is. */
const MAX_MAP_BYTES = 4 * 1024 * 1024;
const BLOCK = 512;

/**
 * The body of a GNU tar PAX 1.0 sparse entry (`tar --sparse --format=posix`) starts with its
 * map: decimal lines, a count then that many offset/size pairs, padded to 512 bytes; the file's
 * data follows, its holes left out. This hands `inner` the data only, so what it is (a gzip, a
 * tar) is sniffed from its own first bytes, not the map's. A body that does not start with a
 * well-formed map goes to `inner` whole: searched as it is, never dropped.
 */
export function skipSparseMap(inner: BodySink): BodySink {
  const held: Buffer[] = [];
  let seen = 0;
  /** numbers still to read: the count first, then two per piece */
  let numbers = 1;
  let digits = 0;
  let value = 0;
  let first = true;
  /** after the map: padding bytes still to drop, then data */
  let padding = -1;
  const giveUp = (): void => {
    padding = 0;
    for (const piece of held) inner.data(piece);
    held.length = 0;
  };
  return {
    data(chunk) {
      let at = 0;
      if (padding < 0) {
        for (; at < chunk.length && padding < 0; at++) {
          const byte = chunk[at]!;
          if (byte >= 0x30 && byte <= 0x39 && digits < 20) {
            digits += 1;
            value = value * 10 + (byte - 0x30);
          } else if (byte === 0x0a && digits > 0) {
            if (first) {
              first = false;
              numbers += 2 * value;
            }
            numbers -= 1;
            digits = 0;
            value = 0;
            if (numbers === 0) padding = (BLOCK - ((seen + at + 1) % BLOCK)) % BLOCK;
          } else {
            break;
          }
        }
        if (padding < 0 && (at < chunk.length || seen + at > MAX_MAP_BYTES)) {
          // not a map: everything so far and from here on is the entry's bytes
          giveUp();
          inner.data(chunk);
          return;
        }
        seen += at;
        if (padding < 0) {
          held.push(Buffer.from(chunk));
          return;
        }
        held.length = 0;
      }
      const drop = Math.min(padding, chunk.length - at);
      padding -= drop;
      at += drop;
      if (at < chunk.length) inner.data(at === 0 ? chunk : chunk.subarray(at));
    },
    end() {
      if (padding < 0) giveUp();
      inner.end();
    },
  };
}
