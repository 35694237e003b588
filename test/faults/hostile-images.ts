import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { dockerArchive, fixChecksum, sha256Digest, tarOf } from "../helpers/archives.js";

/** Writes every hostile case into `dir`; returns name → path. Each must scan to exit 2 (or 1/0 where noted), quickly. */
export async function writeHostileImages(dir: string, secret: Buffer): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const put = async (name: string, bytes: Buffer): Promise<void> => {
    const file = path.join(dir, name);
    await writeFile(file, bytes);
    out[name] = file;
  };
  const layer = await tarOf([{ name: "app/token", data: Buffer.concat([Buffer.from("x="), secret, Buffer.from("\n")]) }]);
  const good = await dockerArchive([layer]);
  await put("good.tar", good);
  await put("truncated.tar", good.subarray(0, Math.floor(good.length / 2)));
  await put("truncated-in-header.tar", good.subarray(0, 700));
  await put("garbage.bin", randomBytes(256 * 1024));
  await put("empty.tar", Buffer.alloc(0));
  await put("zeros.tar", Buffer.alloc(10240));
  await put("null-manifest.tar", await tarOf([{ name: "manifest.json", data: Buffer.from("null") }]));
  await put("manifest-not-json.tar", await tarOf([{ name: "manifest.json", data: Buffer.from("[{") }]));
  await put("garbage.tar.gz", gzipSync(randomBytes(64 * 1024)));
  await put("truncated.tar.gz", gzipSync(good).subarray(0, 200));

  // A header that claims 100 GB (base-256 size field) followed by a few bytes: must end as an error, not a wait.
  const hugeHeader = Buffer.from(await tarOf([{ name: "huge", data: Buffer.alloc(0) }]));
  hugeHeader.fill(0, 124, 136);
  hugeHeader[124] = 0x80;
  hugeHeader.writeBigUInt64BE(100n * 1024n ** 3n, 128);
  fixChecksum(hugeHeader);
  await put("huge-size-header.tar", hugeHeader.subarray(0, 1024));

  // A PAX header whose record claims a length far beyond the header itself.
  const absurdPax = await tarOf([{ name: "a", data: Buffer.from("x"), pax: { comment: "x".repeat(10) } }]);
  const paxText = absurdPax.subarray(512, 1024).toString("latin1").replace(/^\d+ /, "99999999999 ");
  absurdPax.write(paxText, 512, "latin1");
  await put("absurd-pax.tar", await dockerArchive([absurdPax]));

  // A layer with 100,000 PAX records of 1 KiB: must be bounded, not quadratic or unbounded.
  const manyPax: Record<string, string> = {};
  for (let i = 0; i < 2000; i++) manyPax[`SCHILY.xattr.user.k${i}`] = "v".repeat(1000);
  await put("many-pax.tar", await dockerArchive([await tarOf([{ name: "f", data: Buffer.from("ok"), pax: manyPax }])]));

  // Names that escape: scanned as data, never written anywhere; the secret in them is still found.
  const escaping = await tarOf([
    { name: "../../etc/evil", data: Buffer.concat([Buffer.from("t="), secret]) },
    { name: "/abs/evil", data: Buffer.from("plain") },
    { name: "link", type: "symlink", linkname: "../../../../root/.ssh/id_rsa" },
  ]);
  await put("escaping-names.tar", await dockerArchive([escaping]));
  await put("manifest-escapes.tar", await tarOf([
    { name: "manifest.json", data: Buffer.from(JSON.stringify([{ Config: "../../etc/passwd", Layers: ["../../../etc/shadow"] }])) },
  ]));

  // layer.tar entries that are symlinks pointing at each other.
  await put("symlink-loop.tar", await tarOf([
    { name: "a/layer.tar", type: "symlink", linkname: "../b/layer.tar" },
    { name: "b/layer.tar", type: "symlink", linkname: "../a/layer.tar" },
    { name: "c.json", data: Buffer.from(JSON.stringify({ rootfs: { type: "layers", diff_ids: ["sha256:" + "0".repeat(64)] }, history: [] })) },
    { name: "manifest.json", data: Buffer.from(JSON.stringify([{ Config: "c.json", Layers: ["a/layer.tar"] }])) },
  ]));

  // A gzip bomb inside a layer: 1 GiB of zeros in about 1 MiB, next to a real leak that must still be found.
  const bomb = gzipSync(Buffer.alloc(256 * 1024 * 1024), { level: 9 });
  const bombLayer = await tarOf([
    { name: "bomb.gz", data: Buffer.concat([bomb, bomb, bomb, bomb]) },
    { name: "app/leak", data: secret },
  ]);
  await put("gzip-bomb-layer.tar", await dockerArchive([bombLayer]));

  // A layer that ends inside a big gzip file: its inflating stream is never ended by its entry.
  const bigGz = gzipSync(Buffer.from(randomBytes(300 * 1024).toString("base64")));
  const cutLayer = (await tarOf([{ name: "doc/big.gz", data: bigGz }])).subarray(0, 512 + 150_000);
  await put("layer-cut-in-gzip.tar", await dockerArchive([cutLayer]));

  // A 50 MB config and a deeply nested config.
  await put("huge-config.tar", await dockerArchive([layer], { padding: "p".repeat(50 * 1024 * 1024) }));
  const deep = `${"[".repeat(200_000)}${"]".repeat(200_000)}`;
  const deepTar = await dockerArchive([layer]);
  void deepTar;
  await put("deep-config.tar", await tarOfDeepConfig(layer, deep));
  return out;
}

async function tarOfDeepConfig(layer: Buffer, deep: string): Promise<Buffer> {
  const config = Buffer.from(`{"rootfs":{"type":"layers","diff_ids":["${sha256Digest(layer)}"]},"history":[],"x":${deep}}`);
  return tarOf([
    { name: "l/layer.tar", data: layer },
    { name: "c.json", data: config },
    { name: "manifest.json", data: Buffer.from(JSON.stringify([{ Config: "c.json", Layers: ["l/layer.tar"] }])) },
  ]);
}
