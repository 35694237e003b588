/** A git delta's varint (7 bits a byte, little end first) at `at`: its value and where it ends; null past the end. */
function varint(delta: Buffer, at: number): { value: number; next: number } | null {
  let value = 0;
  for (let shift = 0; at < delta.length && shift <= 49; shift += 7) {
    const byte = delta[at++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return { value, next: at };
  }
  return null;
}

/**
 * The object a git delta makes of its base (git's patch-delta.c format: the base's size, the
 * result's size, then copy instructions, a range of the base, and insert instructions, up to 127
 * literal bytes each). Null when the delta does not fit its base or says a result over `cap`
 * bytes: the caller searches the delta as it is instead.
 */
export function applyDelta(base: Buffer, delta: Buffer, cap: number): Buffer | null {
  const source = varint(delta, 0);
  if (source === null || source.value !== base.length) return null;
  const target = varint(delta, source.next);
  if (target === null || target.value > cap) return null;
  const out = Buffer.allocUnsafe(target.value);
  let written = 0;
  let at = target.next;
  while (at < delta.length) {
    const op = delta[at++]!;
    if (op & 0x80) {
      let offset = 0;
      let size = 0;
      for (let bit = 0; bit < 4; bit++) if (op & (1 << bit)) offset += (delta[at++] ?? 0) * 2 ** (8 * bit);
      for (let bit = 0; bit < 3; bit++) if (op & (0x10 << bit)) size += (delta[at++] ?? 0) * 2 ** (8 * bit);
      if (size === 0) size = 0x10000;
      if (at > delta.length || offset + size > base.length || written + size > out.length) return null;
      written += base.copy(out, written, offset, offset + size);
    } else if (op !== 0) {
      if (at + op > delta.length || written + op > out.length) return null;
      written += delta.copy(out, written, at, at + op);
      at += op;
    } else {
      return null;
    }
  }
  return written === out.length ? out : null;
}
