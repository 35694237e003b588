import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { buildMetadata, checkMetadataFile, writeMetadataFile } from "../../src/push/metadata-file.js";
import { pushedDigestWatcher } from "../../src/push/pushed-digest.js";

const work = mkdtempSync(join(tmpdir(), "sbtest-metadata-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const DIGEST = `sha256:${"a1".repeat(32)}`;
const CONFIG = `sha256:${"c2".repeat(32)}`;

describe("--metadata-file, as buildx writes it", () => {
  test("a pushed image: the manifest digest, its descriptor, the config digest and the names", () => {
    const descriptor = { mediaType: "application/vnd.docker.distribution.manifest.v2+json", digest: DIGEST, size: 1148 };
    expect(buildMetadata({ configDigest: CONFIG, imageDigest: DIGEST, descriptor, names: ["r.example/a:1", "r.example/a:2"] })).toEqual({
      "containerimage.config.digest": CONFIG,
      "containerimage.descriptor": descriptor,
      "containerimage.digest": DIGEST,
      "image.name": "r.example/a:1,r.example/a:2",
    });
  });

  test("an index has no single config; an untagged build has no image.name", () => {
    expect(buildMetadata({ configDigest: undefined, imageDigest: CONFIG, descriptor: undefined, names: [] })).toEqual({ "containerimage.digest": CONFIG });
  });

  test("written atomically with mode 0644, two-space JSON, replacing an old file, no temp file left", async () => {
    const file = join(work, "meta.json");
    writeFileSync(file, "old", { mode: 0o600 });
    const old = process.umask(0o077);
    try {
      await writeMetadataFile("meta.json", { "containerimage.digest": DIGEST }, work);
    } finally {
      process.umask(old);
    }
    expect(readFileSync(file, "utf8")).toBe(`{\n  "containerimage.digest": "${DIGEST}"\n}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o644);
    expect(readdirSync(work).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  test.each([
    ["a directory", () => (mkdirSync(join(work, "adir"), { recursive: true }), "adir"), /^--metadata-file adir: is a directory; name a file$/],
    ["in a missing folder", () => "nope/meta.json", /^--metadata-file nope\/meta\.json: the folder nope does not exist$/],
  ])("a path that is %s is refused (exit 2), before anything is built", async (_what, make, message) => {
    const file = make();
    expect(() => checkMetadataFile(file, work)).toThrow(message);
    await expect(writeMetadataFile(file, {}, work)).rejects.toMatchObject({ exitCode: 2 });
    if (file === "adir") expect(statSync(join(work, "adir")).isDirectory()).toBe(true);
  });
});

describe("the digest docker push reports", () => {
  const log = `The push refers to repository [127.0.0.1:5000/app]\nc98846bd46fd: Pushed\n1: digest: ${DIGEST} size: 527\n`;

  test.each([1, 3, 7, 64])("found whatever the chunking (%i-byte chunks)", (size) => {
    const watcher = pushedDigestWatcher();
    const bytes = Buffer.from(log);
    for (let i = 0; i < bytes.length; i += size) watcher.write(bytes.subarray(i, i + size));
    expect(watcher.result()).toEqual({ digest: DIGEST, size: 527 });
  });

  test("nothing without the closing line; a digest inside a longer line does not count", () => {
    const watcher = pushedDigestWatcher();
    watcher.write(Buffer.from(`c98846bd46fd: Pushed\nRUN echo 1: digest: ${DIGEST} size: 527 and more\n`));
    expect(watcher.result()).toBeUndefined();
  });
});
