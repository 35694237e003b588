import { randomBytes, randomInt } from "node:crypto";
import { describe, expect, test } from "vitest";
import { ContentBudget } from "../../../src/scan/content/limits.js";
import { decodeInPieces } from "./decode-in-pieces.js";
import { LzmaWindow, WindowLimit } from "../../../src/scan/content/lzma-window.js";
import { XzStream } from "../../../src/scan/content/xz-stream.js";
import { xzOf } from "../../helpers/content-archives.js";


const decode = (file: Buffer, piece: () => number, budget?: ContentBudget): { output: Buffer; said: string[] } => decodeInPieces((dc) => new XzStream(dc), file, piece, budget);

/** Text that compresses, with repeats near and far, and incompressible runs (LZMA2's stored chunks). */
const mixed = (size: number): Buffer => {
  const words = Array.from({ length: 500 }, () => randomBytes(randomInt(3, 14)).toString("base64url"));
  const parts: Buffer[] = [];
  let length = 0;
  while (length < size) {
    const part = randomInt(0, 10) === 0 ? randomBytes(randomInt(1, 80_000)) : Buffer.from(`Package: ${words[randomInt(0, words.length)]}\nVersion: ${randomInt(0, 999)}\n`);
    parts.push(part);
    length += part.length;
  }
  return Buffer.concat(parts).subarray(0, size);
};

describe("xz read as it streams: byte for byte what xz packed, in any pieces", () => {
  const data = mixed(3_000_000);

  test.each([
    ["-0 (256 KiB dictionary)", ["-0"]],
    ["-6, the default", ["-6"]],
    ["-9e (64 MiB dictionary, the window grows only with the output)", ["-9e"]],
    ["a 4 KiB dictionary: the ring wraps inside every 2 MiB chunk", ["--lzma2=dict=4KiB"]],
    ["lc=0 lp=4 pb=0", ["--lzma2=preset=6,lc=0,lp=4,pb=0"]],
    ["lc=4 lp=0 pb=4", ["--lzma2=preset=1,lc=4,lp=0,pb=4"]],
    ["blocks of 100 kB (sizes in each block header)", ["--block-size=100000"]],
    ["two threads", ["-T2", "--block-size=700000"]],
    ["delta filter, distance 4, then LZMA2", ["--delta=dist=4", "--lzma2=preset=6"]],
    ["two delta filters", ["--delta=dist=1", "--delta=dist=256", "--lzma2=preset=2"]],
    ["no check", ["--check=none"]],
    ["CRC32", ["--check=crc32"]],
    ["SHA-256", ["--check=sha256"]],
  ])("%s", (_name, options) => {
    const file = xzOf(data, options);
    for (const piece of [() => 1 << 20, () => 4093, () => randomInt(1, 500)]) {
      const { output, said } = decode(file, piece);
      expect(said).toEqual([]);
      expect(output.equals(data)).toBe(true);
    }
  });

  test("streams one after another with stream padding, an empty stream, and all-random data", () => {
    const a = mixed(200_000);
    const b = randomBytes(300_000);
    const file = Buffer.concat([xzOf(a), Buffer.alloc(8), xzOf(Buffer.alloc(0)), xzOf(b, ["-9"]), Buffer.alloc(4)]);
    const { output, said } = decode(file, () => 777);
    expect(said).toEqual([]);
    expect(output.equals(Buffer.concat([a, b]))).toBe(true);
  });

  test("cut short, junk after, a BCJ filter, a corrupt chunk: said, and what decoded first was kept", () => {
    const file = xzOf(data, ["--block-size=500000"]);
    const cut = decode(file.subarray(0, Math.floor(file.length / 2)), () => 5000);
    expect(cut.said).toEqual(["unreadable: xz: cut short"]);
    expect(cut.output.length).toBeGreaterThan(500_000);
    expect(data.subarray(0, cut.output.length).equals(cut.output)).toBe(true);

    expect(decode(Buffer.concat([file, Buffer.from("trailing!")]), () => 9999).said).toEqual(["unreadable: xz: data after the last stream that is no xz stream"]);
    expect(decode(xzOf(data, ["--x86", "--lzma2"]), () => 9999).said).toEqual(["not searched: xz: x86 BCJ filter (only LZMA2 and delta are read)"]);

    // text only: every chunk range-coded, so the damage is seen (stored chunks would pass it on)
    const text = mixed(3_000_000).toString("base64");
    const corrupt = xzOf(Buffer.from(text));
    for (let i = 0; i < 64; i++) corrupt[Math.floor(corrupt.length / 3) + i]! ^= 0x5a;
    const broken = decode(corrupt, () => 65536);
    expect(broken.said).toHaveLength(1);
    expect(broken.said[0]).toMatch(/^unreadable: xz: (corrupt LZMA2 data|LZMA2: )/);
    expect(broken.output.length).toBeGreaterThan(100_000);
    expect(broken.output.subarray(0, 100_000).toString()).toBe(text.slice(0, 100_000));
  });

  test("hostile bytes (random damage anywhere, random bytes after a valid header) never throw, hang or say more than one thing", () => {
    const file = xzOf(mixed(200_000), ["--block-size=50000"]);
    for (let round = 0; round < 300; round++) {
      const damaged = Buffer.from(file);
      for (let i = randomInt(1, 20); i > 0; i--) damaged[randomInt(0, damaged.length)] = randomInt(0, 256);
      const tail = round % 3 === 0 ? Buffer.concat([file.subarray(0, 12), randomBytes(randomInt(1, 5000))]) : damaged;
      const { said } = decode(tail, () => randomInt(1, 9000));
      expect(said.length).toBeLessThanOrEqual(1);
    }
  });

  test("the scan's allowance stops it, with the real limit", () => {
    const { output, said } = decode(xzOf(data), () => 65536, new ContentBudget(1_000_000));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^not searched: the scan's decoded bytes reached/);
    expect(output.length).toBeLessThanOrEqual(1_000_000);
  });
});

describe("LZMA's window", () => {
  test("a match farther back than the window holds is a limit; before the data's start, corrupt", () => {
    const flushed: Buffer[] = [];
    const window = new LzmaWindow(4096, (bytes) => flushed.push(Buffer.from(bytes)));
    window.putBytes(randomBytes(10_000), 0, 10_000);
    expect(() => window.copyMatch(4095, 10)).not.toThrow();
    expect(() => window.copyMatch(4096, 10)).toThrow(WindowLimit);
    window.reset();
    expect(() => window.back(0)).toThrow(RangeError);
  });

  test("overlapping matches across the ring's end repeat the bytes, as LZ77 does", () => {
    const flushed: Buffer[] = [];
    const window = new LzmaWindow(4096, (bytes) => flushed.push(Buffer.from(bytes)));
    const head = Buffer.from("abcdefg".repeat(580)); // 4,060 bytes: the match wraps
    window.putBytes(head, 0, head.length);
    window.copyMatch(6, 700);
    window.drain();
    expect(Buffer.concat(flushed).toString()).toBe("abcdefg".repeat(680));
  });
});
