import { randomBytes, randomInt } from "node:crypto";
import { describe, expect, test } from "vitest";
import { ContentBudget } from "../../../src/scan/content/limits.js";
import { decodeInPieces } from "./decode-in-pieces.js";
import { lz4Decoder } from "../../../src/scan/content/lz4.js";
import { lz4Of } from "../../helpers/content-archives.js";

const decode = (file: Buffer, piece: () => number, budget?: ContentBudget): { output: Buffer; said: string[] } => decodeInPieces(lz4Decoder, file, piece, budget);

/** Text that compresses, with repeats far apart: a linked block's matches reach back into the block before. */
const repetitive = (size: number): Buffer => {
  const words = Array.from({ length: 400 }, () => randomBytes(randomInt(3, 12)).toString("base64url"));
  let text = "";
  while (text.length < size) text += `Package: ${words[randomInt(0, words.length)]}\nVersion: ${randomInt(0, 99)}.${randomInt(0, 9)}\n`;
  return Buffer.from(text.slice(0, size));
};

describe("lz4: frames, legacy blocks and skippable frames, decoded as they stream", () => {
  const data = Buffer.concat([repetitive(600_000), randomBytes(50_000), repetitive(300_000)]);

  test.each([
    ["default (independent 4 MiB blocks)", []],
    ["linked 64 KiB blocks, as apt writes its lists", ["-B4", "-BD"]],
    ["linked 256 KiB blocks at -9", ["-B5", "-BD", "-9"]],
    ["block checksums, content size, no content checksum", ["-BX", "--content-size", "--no-frame-crc"]],
    ["the legacy format", ["-l"]],
  ])("%s: byte for byte what lz4 packed, in any pieces", (_name, options) => {
    const file = lz4Of(data, options);
    for (const piece of [() => 1 << 20, () => 4093, () => randomInt(1, 300)]) {
      const { output, said } = decode(file, piece);
      expect(said).toEqual([]);
      expect(output.equals(data)).toBe(true);
    }
  });

  test("frames one after another, skippable frames between, and a file of nothing but an empty frame", () => {
    const a = repetitive(70_000);
    const b = repetitive(90_000);
    const skippable = Buffer.from([0x5f, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 9, 9]);
    const file = Buffer.concat([lz4Of(a, ["-BD"]), skippable, lz4Of(b, ["-l"]), lz4Of(a, ["-B4"])]);
    const { output, said } = decode(file, () => 1000);
    expect(said).toEqual([]);
    expect(output.equals(Buffer.concat([a, b, a]))).toBe(true);
    expect(decode(lz4Of(Buffer.alloc(0)), () => 7)).toEqual({ output: Buffer.alloc(0), said: [] });
  });

  test("cut short, junk after the frame, a block larger than its frame, a dictionary: said, and what decoded first was kept", () => {
    const file = lz4Of(data, ["-B4"]);
    const cut = decode(file.subarray(0, 200_000), () => 5000);
    expect(cut.said).toEqual(["unreadable: lz4: cut short"]);
    expect(cut.output.length).toBeGreaterThan(100_000);
    expect(data.subarray(0, cut.output.length).equals(cut.output)).toBe(true);

    expect(decode(Buffer.concat([file, Buffer.from("trailing text")]), () => 9999).said).toEqual(["unreadable: lz4: data after the last frame that is no lz4 frame"]);

    const big = Buffer.from(file);
    // the first block's size, after the 7-byte header: 64 KiB + 1 in a frame of 64 KiB blocks
    big.writeUInt32LE(64 * 1024 + 1, 7);
    expect(decode(big, () => 100).said).toEqual(["unreadable: lz4: a block larger than its frame allows"]);

    const withDictionary = Buffer.from(file);
    withDictionary[4] = withDictionary[4]! | 0x01;
    expect(decode(withDictionary, () => 100).said).toEqual(["not searched: lz4 frame compressed with a dictionary the file does not hold: not decoded"]);
  });

  test("a block whose match points before its history is reported, never read out of bounds", () => {
    // one sequence: no literals, a match of 4 bytes at offset 5 with nothing decoded before it
    const block = Buffer.from([0x00, 0x05, 0x00, 0x00]);
    const frame = Buffer.concat([Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82]), Buffer.from([block.length, 0, 0, 0]), block, Buffer.alloc(4)]);
    expect(decode(frame, () => 3).said).toEqual(["unreadable: lz4: a block that does not decode"]);
  });

  test("an lz4 bomb stops where the scan's allowance ends, said as not searched", () => {
    const { output, said } = decode(lz4Of(Buffer.alloc(70 * 1024 * 1024)), () => 1 << 16, new ContentBudget(16 * 1024 * 1024));
    expect(said).toEqual(["not searched: the scan's decoded bytes reached 16 MiB (limit per scan: 16 MiB and 8 times the image's bytes read)"]);
    expect(output.length).toBeLessThanOrEqual(16 * 1024 * 1024);
  });

  test("hostile input (bytes changed, cut anywhere, any pieces) never throws", () => {
    const base = lz4Of(repetitive(40_000), ["-B4", "-BD", "-BX"]);
    for (let round = 0; round < 2000; round++) {
      const file = Buffer.from(base);
      for (let m = randomInt(1, 6); m > 0; m--) file[randomInt(0, file.length)] = randomInt(0, 256);
      const input = round % 5 === 0 ? file.subarray(0, randomInt(1, file.length)) : file;
      expect(() => decode(input, () => randomInt(1, 2000))).not.toThrow();
    }
  });
});
