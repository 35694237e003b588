import { createHash } from "node:crypto";
import { pack } from "tar-stream";

/** A tar built in memory from entries (the hostile cases are small, or compress to small). */
export async function tarOf(entries: readonly TarEntry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on("data", (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    p.on("end", resolve);
    p.on("error", reject);
  });
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      const header = {
        name: e.name,
        type: e.type ?? "file",
        mode: e.type === "directory" ? 0o755 : 0o644,
        ...(e.linkname === undefined ? {} : { linkname: e.linkname }),
        ...(e.pax === undefined ? {} : { pax: e.pax }),
        ...(e.uname === undefined ? {} : { uname: e.uname }),
      };
      const done = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (e.type === "symlink" || e.type === "directory" || e.type === "link") p.entry(header, done);
      else p.entry(header, e.data ?? Buffer.alloc(0), done);
    });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

export interface TarEntry {
  readonly name: string;
  readonly data?: Buffer;
  readonly type?: "file" | "directory" | "symlink" | "link";
  readonly linkname?: string;
  readonly pax?: Record<string, string>;
  readonly uname?: string;
}

/** Sets a tar header's checksum after its bytes were changed in place. */
export function fixChecksum(header: Buffer): void {
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += header[i] ?? 0;
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
}

export const sha256Digest = (b: Buffer): string => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** A classic docker-archive (manifest.json last, as docker 20.10 writes it) of the given layers. */
export async function dockerArchive(layers: readonly Buffer[], config: Record<string, unknown> = {}, extra: readonly TarEntry[] = []): Promise<Buffer> {
  const diffIds = layers.map(sha256Digest);
  const configJson = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: { Env: ["PATH=/bin"] },
      rootfs: { type: "layers", diff_ids: diffIds },
      history: layers.map((_, i) => ({ created_by: `RUN layer ${i}` })),
      ...config,
    }),
  );
  const configName = `${sha256Digest(configJson).slice(7)}.json`;
  const layerNames = layers.map((l) => `${sha256Digest(l).slice(7)}/layer.tar`);
  const manifest = Buffer.from(JSON.stringify([{ Config: configName, RepoTags: ["hostile:1"], Layers: layerNames }]));
  return tarOf([
    ...layers.map((l, i) => ({ name: layerNames[i] ?? "", data: l })),
    { name: configName, data: configJson },
    ...extra,
    { name: "manifest.json", data: manifest },
  ]);
}
