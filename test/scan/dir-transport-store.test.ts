import { createHash } from "node:crypto";
import { describe, expect, test } from "vitest";
import type { BlobStore } from "../../src/scan/source/blob-store.js";
import { dirTransportStore } from "../../src/scan/source/dir-transport-store.js";

const hex = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

/** A dir: layout's files by name; layers are not read here. */
function files(map: Record<string, Buffer>): BlobStore & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    json: async (path) => map[path],
    layer: async (path) => {
      asked.push(path);
      throw new Error("not read here");
    },
  };
}

describe("dirTransportStore: skopeo's dir: layout seen as an OCI layout", () => {
  const config = Buffer.from('{"rootfs":{"type":"layers","diff_ids":[]}}');
  const layer = "ab".repeat(32);
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.docker.distribution.manifest.v2+json", config: { digest: `sha256:${hex(config)}`, size: config.length }, layers: [{ digest: `sha256:${layer}`, size: 1 }] }));

  test("one image: an index of one, naming the manifest by its own digest; blobs by their bare sha256", async () => {
    const store = dirTransportStore(files({ "manifest.json": manifest, [hex(config)]: config }));
    expect(await store.json("manifest.json")).toBeUndefined();
    const index = JSON.parse(String(await store.json("index.json"))) as { manifests: { digest: string; mediaType: string; size: number }[] };
    expect(index.manifests).toEqual([{ mediaType: "application/vnd.docker.distribution.manifest.v2+json", digest: `sha256:${hex(manifest)}`, size: manifest.length }]);
    expect(await store.json(`blobs/sha256/${hex(manifest)}`)).toEqual(manifest);
    expect(await store.json(`blobs/sha256/${hex(config)}`)).toEqual(config);
  });

  test("copied with --all: manifest.json is the index, its manifests are HEX.manifest.json", async () => {
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [{ digest: `sha256:${hex(manifest)}`, size: manifest.length }] }));
    const store = dirTransportStore(files({ "manifest.json": index, [`${hex(manifest)}.manifest.json`]: manifest }));
    expect(await store.json("index.json")).toEqual(index);
    expect(await store.json(`blobs/sha256/${hex(manifest)}`)).toEqual(manifest);
  });

  test("layers are read by their bare name; other paths pass through (the directory store confines them)", async () => {
    const inner = files({ "manifest.json": manifest });
    const store = dirTransportStore(inner);
    await expect(store.layer(`blobs/sha256/${layer}`)).rejects.toThrow();
    await expect(store.layer("../../etc/passwd")).rejects.toThrow();
    expect(inner.asked).toEqual([layer, "../../etc/passwd"]);
  });
});
