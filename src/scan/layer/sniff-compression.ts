export type Compression = "none" | "gzip" | "zstd";

/** Sniffs by magic bytes, never by name or media type (those lie: see peer-images test_bundle). */
export function sniffCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return "zstd";
  // a skippable frame first (pzstd writes one before each frame, others metadata): zstd readers skip it
  if (head.length >= 4 && isSkippableFrame(head)) return "zstd";
  return "none";
}

/** zstd's skippable frames: magic 0x184D2A50 to 0x184D2A5F, little-endian. */
export const isSkippableFrame = (head: Buffer): boolean => (head[0]! & 0xf0) === 0x50 && head[1] === 0x2a && head[2] === 0x4d && head[3] === 0x18;
