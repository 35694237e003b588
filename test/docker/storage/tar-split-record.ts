import { gzipSync } from "node:zlib";

/** What a tar-split record holds, in order: a tar's own bytes, or a file taken from the layer's folder. */
export type RecordPart = { segment: Buffer | null } | { file: string; size: number; raw?: Buffer };

/** A gzipped tar-split record (vbatts/tar-split's JSON lines), as docker keeps it beside a layer. */
export function tarSplitRecord(parts: readonly RecordPart[]): Buffer {
  const lines = parts.map((part, position) =>
    "segment" in part
      ? JSON.stringify({ type: 2, payload: part.segment === null ? null : part.segment.toString("base64"), position })
      : JSON.stringify({ type: 1, name: part.file, ...(part.raw ? { name_raw: part.raw.toString("base64") } : {}), ...(part.size > 0 ? { size: part.size } : {}), payload: "AAAAAAAAAAA=", position }),
  );
  return gzipSync(`${lines.join("\n")}\n`);
}
