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

  test("zip64 entries whose sizes follow their data (Python's zipfile on a pipe, stream-zip): every entry opened", () => {
    const deflate = new ReusedInflater("raw");
    const zip = zipOf([{ name: "big.bin", data: randomBytes(5000) }, { name: "conf/app.env", data: Buffer.from("TOKEN=x\n".repeat(50)) }], { dataDescriptor: true, zip64: true });
    for (const piece of [1, 29, 4096]) {
      const { dc, opened, said } = context(deflate);
      feed(new ZipStream(dc), zip, () => piece);
      expect(said).toEqual([]);
      expect(opened).toEqual(["!/big.bin", "!/conf/app.env"]);
    }
  });

  test("a walk that meets no local header where an entry should start reports the rest as not searched, never only a warning", () => {
    const deflate = new ReusedInflater("raw");
    const good = zipOf([{ name: "a.txt", data: randomBytes(100) }], { dataDescriptor: false });
    // the first entry, then bytes that are no header (an unknown block between entries), then an entry never reached
    const local = good.subarray(0, good.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])));
    const zip = Buffer.concat([local, Buffer.from("APK Sig Block 42 or anything"), zipOf([{ name: "b.txt", data: Buffer.from("secret") }])]);
    const { dc, opened, said } = context(deflate);
    feed(new ZipStream(dc), zip, () => 64);
    expect(opened).toEqual(["!/a.txt"]);
    expect(said).toEqual([expect.stringMatching(/^: zip over 64 MiB, read as it streams: an invalid local header where the next entry should start; this entry and the rest of the zip were not searched$/)]);
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
