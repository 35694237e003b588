/** Shannon entropy of the bytes, in bits per byte (0 to 8): random base64 is about 6, English text about 4. */
export function shannonEntropy(bytes: Uint8Array): number {
  if (bytes.length === 0) return 0;
  const counts = new Uint32Array(256);
  for (const b of bytes) counts[b]!++;
  let bits = 0;
  for (const c of counts) {
    if (c === 0) continue;
    const p = c / bytes.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}
