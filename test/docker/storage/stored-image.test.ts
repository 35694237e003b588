import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { chainIds, storedImage, type StorageHints } from "../../../src/docker/storage/stored-image.js";

const work = mkdtempSync(join(tmpdir(), "sbtest-stored-image-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const digest = (text: string): string => `sha256:${createHash("sha256").update(text).digest("hex")}`;
let roots = 0;

/** A data root laid out as dockerd's overlay2 storage keeps an image of `diffIds`; `spoil` breaks one part of it. */
function dataRoot(diffIds: readonly string[], spoil: (paths: { root: string; records: string[]; config: string }) => void = () => undefined): { root: string; id: string; hints: StorageHints } {
  const root = join(work, `root-${roots++}`);
  const id = digest(`config ${root}`);
  const config = join(root, "image/overlay2/imagedb/content/sha256", id.slice(7));
  mkdirSync(join(config, ".."), { recursive: true });
  writeFileSync(config, "{}");
  const records = chainIds(diffIds).map((chain, i) => {
    const record = join(root, "image/overlay2/layerdb/sha256", chain.slice(7));
    mkdirSync(record, { recursive: true });
    writeFileSync(join(record, "diff"), diffIds[i]!);
    writeFileSync(join(record, "cache-id"), `cache${i}`);
    writeFileSync(join(record, "tar-split.json.gz"), "");
    mkdirSync(join(root, "overlay2", `cache${i}`, "diff"), { recursive: true });
    return record;
  });
  spoil({ root, records, config });
  return { root, id, hints: { driver: "overlay2", upperDir: join(root, "overlay2", `cache${diffIds.length - 1}`, "diff"), diffIds } };
}

const diffIds = [digest("a"), digest("b"), digest("c")];

describe("an image's files in the engine's overlay2 storage", () => {
  test("chain ids as moby's layer.CreateChainID makes them", () => {
    const [a, b] = [digest("a"), digest("b")];
    expect(chainIds([a, b])).toEqual([a, digest(`${a} ${b}`)]);
    expect(chainIds([])).toEqual([]);
  });

  test("found: the config and, bottom first, each layer's record and folder", () => {
    const { root, id, hints } = dataRoot(diffIds);
    const stored = storedImage(id, hints);
    expect(stored?.config).toBe(join(root, "image/overlay2/imagedb/content/sha256", id.slice(7)));
    expect(stored?.layers.map((l) => [l.diffId, l.files])).toEqual(diffIds.map((d, i) => [d, join(root, "overlay2", `cache${i}`, "diff")]));
    expect(stored?.layers[2]?.tarSplit).toBe(join(root, "image/overlay2/layerdb/sha256", chainIds(diffIds)[2]!.slice(7), "tar-split.json.gz"));
  });

  test.each([
    ["another driver", (h: StorageHints) => ({ ...h, driver: "btrfs" })],
    ["no driver data", (h: StorageHints) => ({ ...h, upperDir: undefined })],
    ["an upper dir of another shape", (h: StorageHints) => ({ ...h, upperDir: "/var/lib/docker/overlay2/x/merged" })],
    ["a relative upper dir", (h: StorageHints) => ({ ...h, upperDir: "var/lib/docker/overlay2/x/diff" })],
    ["no layers", (h: StorageHints) => ({ ...h, diffIds: [] })],
    ["a diff id that is not a sha256", (h: StorageHints) => ({ ...h, diffIds: ["sha512:00"] })],
  ])("%s: not read from storage (the export instead)", (_, change) => {
    const { id, hints } = dataRoot(diffIds);
    expect(storedImage(id, change(hints))).toBeUndefined();
  });

  test.each([
    ["the config missing", ({ config }: { config: string; records: string[]; root: string }) => rmSync(config)],
    ["a layer's record missing", ({ records }: { records: string[] }) => rmSync(records[1]!, { recursive: true })],
    ["a record of another diff id", ({ records }: { records: string[] }) => writeFileSync(join(records[0]!, "diff"), digest("z"))],
    ["a cache id that climbs out", ({ records }: { records: string[] }) => writeFileSync(join(records[2]!, "cache-id"), "../../etc")],
    ["no tar-split record", ({ records }: { records: string[] }) => rmSync(join(records[0]!, "tar-split.json.gz"))],
    ["no layer folder", ({ root }: { root: string }) => rmSync(join(root, "overlay2/cache1/diff"), { recursive: true })],
  ])("%s: not read from storage", (_, spoil) => {
    const { id, hints } = dataRoot(diffIds, spoil);
    expect(storedImage(id, hints)).toBeUndefined();
  });
});
