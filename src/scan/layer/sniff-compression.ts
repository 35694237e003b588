export type Compression = "none" | "gzip" | "zstd";

/** Sniffs by magic bytes, never by name or media type (those lie: see peer-images test_bundle). */
export function sniffCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return "zstd";
  return "none";
}
