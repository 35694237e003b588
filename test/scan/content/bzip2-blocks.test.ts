import { execFileSync } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { describe, expect, test } from "vitest";
import { Bzip2Blocks } from "../../../src/scan/content/bzip2-blocks.js";
import { ContentBudget } from "../../../src/scan/content/limits.js";
import { bzip2Of } from "../../helpers/content-archives.js";
import { decodeInPieces } from "./decode-in-pieces.js";

const decode = (file: Buffer, piece: () => number, budget?: ContentBudget): { output: Buffer; said: string[] } => decodeInPieces((dc) => new Bzip2Blocks(dc), file, piece, budget);

/** Text with long runs (bzip2's first RLE) and random stretches: blocks of every shape. */
const mixed = (size: number): Buffer => {
  const parts: Buffer[] = [];
  let length = 0;
  while (length < size) {
    const kind = randomInt(0, 4);
    const part = kind === 0 ? randomBytes(randomInt(1, 20_000)) : kind === 1 ? Buffer.alloc(randomInt(1, 5000), randomInt(0, 256)) : Buffer.from(`row ${randomInt(0, 1e6)},${randomBytes(6).toString("hex")}\n`.repeat(randomInt(1, 50)));
    parts.push(part);
    length += part.length;
  }
  return Buffer.concat(parts).subarray(0, size);
};

describe("bzip2 read block by block as it streams: byte for byte what bzip2 packed", () => {
  const data = mixed(2_500_000);

  test.each([
    ["-9 (900 kB blocks)", ["-9"]],
    ["-1 (100 kB blocks: many)", ["-1"]],
  ])("%s, in any pieces", (_name, options) => {
    const file = execFileSync("bzip2", ["-c", ...options], { input: data, maxBuffer: 1 << 30 });
    for (const piece of [() => 1 << 20, () => 4093, () => randomInt(1, 70_000)]) {
      const { output, said } = decode(file, piece);
      expect(said).toEqual([]);
      expect(output.equals(data)).toBe(true);
    }
  });

  test("streams one after another (pbzip2, cat a.bz2 b.bz2), an empty one between", () => {
    const a = mixed(300_000);
    const b = mixed(200_000);
    const { output, said } = decode(Buffer.concat([bzip2Of(a), bzip2Of(Buffer.alloc(0)), bzip2Of(b)]), () => 10_000);
    expect(said).toEqual([]);
    expect(output.equals(Buffer.concat([a, b]))).toBe(true);
  });

  test("cut short: the blocks before the cut decoded, said once; damaged: said, never a throw", () => {
    const file = execFileSync("bzip2", ["-c", "-1"], { input: data, maxBuffer: 1 << 30 });
    const cut = decode(file.subarray(0, Math.floor(file.length / 2)), () => 65536);
    expect(cut.said).toHaveLength(1);
    expect(cut.output.length).toBeGreaterThan(500_000);
    expect(data.subarray(0, cut.output.length).equals(cut.output)).toBe(true);
    for (let round = 0; round < 30; round++) {
      const damaged = Buffer.from(file);
      for (let m = randomInt(1, 6); m > 0; m--) damaged[randomInt(0, damaged.length)] = randomInt(0, 256);
      expect(() => decode(damaged, () => randomInt(1, 100_000))).not.toThrow();
    }
  });

  test("the scan's allowance stops it, with the real limit", () => {
    const { said } = decode(bzip2Of(data), () => 65536, new ContentBudget(500_000));
    expect(said).toEqual([expect.stringMatching(/^not searched: the scan's decoded bytes reached/)]);
  });
});
