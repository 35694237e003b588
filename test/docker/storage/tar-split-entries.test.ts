import { Readable } from "node:stream";
import { describe, expect, test } from "vitest";
import { tarSplitEntries, type TarSplitEntry } from "../../../src/docker/storage/tar-split-entries.js";
import { StorageMismatch } from "../../../src/docker/storage/storage-mismatch.js";

const read = async (text: string, chunk = 7): Promise<TarSplitEntry[]> => {
  const bytes = Buffer.from(text);
  const chunks = Array.from({ length: Math.ceil(bytes.length / chunk) }, (_, i) => bytes.subarray(i * chunk, (i + 1) * chunk));
  const entries: TarSplitEntry[] = [];
  for await (const entry of tarSplitEntries(Readable.from(chunks))) entries.push(entry);
  return entries;
};

const header = Buffer.from("header bytes\u0000\u0001");
const record = [
  JSON.stringify({ type: 2, payload: header.toString("base64"), position: 0 }),
  JSON.stringify({ type: 1, name: "./etc/", payload: null, position: 1 }),
  JSON.stringify({ type: 1, name: "./etc/passwd", size: 42, payload: "AAAAAAAAAAA=", position: 2 }),
  JSON.stringify({ type: 1, name: "bad name", name_raw: Buffer.from([0x6e, 0xe9]).toString("base64"), size: 3, payload: "AAAAAAAAAAA=", position: 3 }),
  JSON.stringify({ type: 2, payload: null, position: 4 }),
].join("\n");

describe("tar-split records, line by line", () => {
  test.each([1, 7, 64, 100_000])("segments, files with bytes (raw names as bytes), in order, whatever the chunks (%i)", async (chunk) => {
    expect(await read(`${record}\n`, chunk)).toEqual([
      { kind: "segment", bytes: header },
      { kind: "file", name: Buffer.from("./etc/passwd"), size: 42 },
      { kind: "file", name: Buffer.from([0x6e, 0xe9]), size: 3 },
    ]);
  });

  test("a last line without its newline still counts", async () => {
    expect(await read(record)).toHaveLength(3);
  });

  test.each([
    ["not JSON", "{type: 1"],
    ["an unknown type", JSON.stringify({ type: 3, payload: null })],
    ["a negative size", JSON.stringify({ type: 1, name: "a", size: -1 })],
    ["a fractional size", JSON.stringify({ type: 1, name: "a", size: 1.5 })],
    ["a file without a name", JSON.stringify({ type: 1, size: 4 })],
    ["a payload that is not base64 text", JSON.stringify({ type: 2, payload: 12 })],
    ["a bare value", "42"],
  ])("%s: malformed, said without its bytes", async (_, line) => {
    await expect(read(`${line}\n`)).rejects.toThrow(StorageMismatch);
    await expect(read(`${line}\n`)).rejects.toThrow("the layer's tar-split record is malformed");
  });

  test("a run of PAX headers makes one long segment line (20 of 1 MB: 27 MB): read", async () => {
    const pax = Buffer.alloc(20 * 1024 * 1024, 0x78);
    const entries = await read(`${JSON.stringify({ type: 2, payload: pax.toString("base64"), position: 0 })}\n`, 1024 * 1024);
    expect(entries).toHaveLength(1);
    expect(entries[0]?.kind === "segment" && entries[0].bytes.equals(pax)).toBe(true);
  });

  test("a line without end is refused once over 64 MiB", async () => {
    const endless = Readable.from((function* () {
      for (let i = 0; i < 70; i++) yield Buffer.alloc(1024 * 1024, 0x61);
    })());
    const reading = (async () => {
      for await (const _ of tarSplitEntries(endless)) void _;
    })();
    await expect(reading).rejects.toThrow(StorageMismatch);
  });
});
