import { createHash } from "node:crypto";
import { createWriteStream, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { once } from "node:events";
import { createGzip } from "node:zlib";

/** One tar entry: a regular file or a directory, with a body for files. */
export interface PlainEntry {
  readonly name: string;
  readonly dir?: boolean;
  readonly data?: Buffer;
}

const TEMPLATE = { file: ustarTemplate(false), dir: ustarTemplate(true) };

function ustarTemplate(dir: boolean): { block: Buffer; sum: number } {
  const block = Buffer.alloc(512);
  block.write(dir ? "0000755\0" : "0000644\0", 100, "latin1");
  block.write("0000000\0", 108, "latin1");
  block.write("0000000\0", 116, "latin1");
  block.write("00000000000\0", 124, "latin1");
  block.write("00000000000\0", 136, "latin1");
  block.write("        ", 148, "latin1");
  block[156] = dir ? 0x35 : 0x30;
  block.write("ustar\x0000", 257, "latin1");
  let sum = 0;
  for (const byte of block) sum += byte;
  return { block, sum };
}

/** Writes a checksummed ustar header at `at` (names up to 100 bytes, sizes below 8 GiB). */
export function writeUstarHeader(into: Buffer, at: number, name: string, size: number, dir: boolean): void {
  const { block, sum: base } = dir ? TEMPLATE.dir : TEMPLATE.file;
  block.copy(into, at);
  const nameLength = into.write(name, at, 100, "utf8");
  let sum = base - 11 * 0x30;
  for (let i = at; i < at + nameLength; i++) sum += into[i]!;
  const sizeField = size.toString(8).padStart(11, "0");
  into.write(sizeField, at + 124, "latin1");
  for (let i = 0; i < 11; i++) sum += sizeField.charCodeAt(i);
  into.write(`${sum.toString(8).padStart(6, "0")}\0 `, at + 148, "latin1");
}

/**
 * Writes an OCI image layout whose layers are gzip tars of the entries each generator yields,
 * streamed (a million entries never sit in memory, and the gzip of empty files is small).
 */
export async function writeLayout(root: string, layers: ReadonlyArray<() => Iterable<PlainEntry>>): Promise<void> {
  const blobs = join(root, "blobs/sha256");
  mkdirSync(blobs, { recursive: true });
  const put = (bytes: Buffer): string => {
    const digest = createHash("sha256").update(bytes).digest("hex");
    writeFileSync(join(blobs, digest), bytes);
    return `sha256:${digest}`;
  };
  const written: Array<{ digest: string; diffId: string; size: number }> = [];
  for (const [index, entries] of layers.entries()) written.push(await writeLayer(blobs, `layer-${index}`, entries()));
  const config = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: {},
      rootfs: { type: "layers", diff_ids: written.map((l) => l.diffId) },
      history: written.map((_, i) => ({ created_by: `RUN make layer ${i}` })),
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: put(config), size: config.length },
      layers: written.map((l) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: l.digest, size: l.size })),
    }),
  );
  const index = { schemaVersion: 2, manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", digest: put(manifest), size: manifest.length }] };
  writeFileSync(join(root, "index.json"), JSON.stringify(index));
  writeFileSync(join(root, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
}

async function writeLayer(blobs: string, name: string, entries: Iterable<PlainEntry>): Promise<{ digest: string; diffId: string; size: number }> {
  const tmp = join(blobs, `${name}.tmp`);
  const file = createWriteStream(tmp);
  const gzip = createGzip({ level: 1 });
  const diff = createHash("sha256");
  const blob = createHash("sha256");
  let size = 0;
  gzip.on("data", (chunk: Buffer) => {
    blob.update(chunk);
    size += chunk.length;
    if (!file.write(chunk)) gzip.pause();
  });
  file.on("drain", () => gzip.resume());
  const closed = once(file, "close");
  gzip.on("end", () => file.end());
  const push = async (bytes: Buffer): Promise<void> => {
    diff.update(bytes);
    if (!gzip.write(bytes)) await once(gzip, "drain");
  };
  // Entries are batched: a million writes of 512 bytes cost more than the scan being tested.
  const batch = Buffer.alloc(1024 * 1024);
  let fill = 0;
  for (const entry of entries) {
    const data = entry.data ?? Buffer.alloc(0);
    const need = 512 + Math.ceil(data.length / 512) * 512;
    if (fill + need > batch.length) {
      await push(Buffer.from(batch.subarray(0, fill)));
      fill = 0;
    }
    if (need > batch.length) throw new Error("many-entries: an entry bigger than a batch");
    writeUstarHeader(batch, fill, entry.name, data.length, entry.dir === true);
    batch.fill(0, fill + 512, fill + need);
    data.copy(batch, fill + 512);
    fill += need;
  }
  await push(Buffer.concat([batch.subarray(0, fill), Buffer.alloc(1024)]));
  gzip.end();
  await closed;
  const digest = blob.digest("hex");
  renameSync(tmp, join(blobs, digest));
  return { digest: `sha256:${digest}`, diffId: `sha256:${diff.digest("hex")}`, size };
}
