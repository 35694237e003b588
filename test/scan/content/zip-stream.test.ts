import { randomBytes, randomInt } from "node:crypto";
import { describe, expect, test } from "vitest";
import type { DecoderContext } from "../../../src/scan/content/decoder.js";
import { ContentBudget } from "../../../src/scan/content/limits.js";
import { ReusedInflater } from "../../../src/scan/content/reused-inflater.js";
import { ZipStream } from "../../../src/scan/content/zip-stream.js";
import { zipOf } from "../../helpers/content-archives.js";

/** A decoder context that records what the walk opened and said. */
function context(deflate: ReusedInflater): { dc: DecoderContext; opened: string[]; said: string[] } {
  const opened: string[] = [];
  const said: string[] = [];
  const dc = {
    inner: "",
    size: null,
    budget: new ContentBudget(),
    deflate,
    gunzip: new ReusedInflater(),
    report: { hit() {}, notSearched: (inner: string, reason: string) => said.push(`${inner}: ${reason}`), unreadable: (inner: string, reason: string) => said.push(`${inner}: ${reason}`) },
    open: (inner: string) => {
      opened.push(inner);
      return { write() {}, end() {} };
    },
  } as unknown as DecoderContext;
  return { dc, opened, said };
}

const feed = (stream: ZipStream, data: Buffer, piece: () => number): void => {
  for (let at = 0; at < data.length; ) {
    const n = piece();
    stream.write(data.subarray(at, at + n));
    at += n;
  }
  stream.end();
};

describe("a zip read as it streams (by its local headers)", () => {
  test("opens every entry the central directory lists, whatever the pieces", () => {
    const deflate = new ReusedInflater("raw");
    const zip = zipOf([{ name: "a.txt", data: randomBytes(3000) }, { name: "b/c.properties", data: Buffer.from("x=1\n".repeat(100)) }, { name: "d.bin", data: randomBytes(10), stored: true }], { dataDescriptor: false });
    for (const piece of [1, 13, 4096]) {
      const { dc, opened, said } = context(deflate);
      feed(new ZipStream(dc), zip, () => piece);
      expect(opened).toEqual(["!/a.txt", "!/b/c.properties", "!/d.bin"]);
      expect(said).toEqual([]);
    }
  });

  test("hostile input (bytes changed, cut anywhere, any pieces) never throws: it is reported, or read as far as it goes", () => {
    const deflate = new ReusedInflater("raw");
    for (let round = 0; round < 1500; round++) {
      const zip = zipOf(
        [{ name: "a.txt", data: randomBytes(randomInt(0, 3000)) }, { name: "b/c.properties", data: Buffer.from("x=1\n".repeat(randomInt(1, 200))), stored: round % 3 === 0 }, { name: "d", data: randomBytes(50) }],
        { dataDescriptor: round % 2 === 0, zip64: round % 5 === 0 },
      );
      for (let m = randomInt(1, 8); m > 0; m--) zip[randomInt(0, zip.length)] = randomInt(0, 256);
      const input = round % 7 === 0 ? zip.subarray(0, randomInt(1, zip.length)) : zip;
      const { dc } = context(deflate);
      expect(() => feed(new ZipStream(dc), input, () => randomInt(1, 600))).not.toThrow();
    }
  });
});
