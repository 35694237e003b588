import { describe, expect, test } from "vitest";
import { applyDelta } from "../../../src/scan/content/git-delta.js";

/** A git varint: 7 bits a byte, little end first. */
const varint = (n: number): number[] => {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return out;
};
/** A copy instruction of `size` bytes from `offset`, with only the non-zero bytes present, as git writes it. */
const copy = (offset: number, size: number): number[] => {
  let op = 0x80;
  const args: number[] = [];
  for (let bit = 0; bit < 4; bit++) {
    const byte = (offset >>> (8 * bit)) & 0xff;
    if (byte !== 0) {
      op |= 1 << bit;
      args.push(byte);
    }
  }
  for (let bit = 0; bit < 3; bit++) {
    const byte = (size >>> (8 * bit)) & 0xff;
    if (byte !== 0) {
      op |= 0x10 << bit;
      args.push(byte);
    }
  }
  return [op, ...args];
};
const insert = (text: string): number[] => [text.length, ...Buffer.from(text)];
const delta = (base: number, target: number, ...ops: number[][]): Buffer => Buffer.from([...varint(base), ...varint(target), ...ops.flat()]);

describe("applyDelta: git's copy and insert instructions", () => {
  const base = Buffer.from("0123456789abcdefghij");

  test("copies and inserts make the target", () => {
    expect(applyDelta(base, delta(20, 11, copy(0, 4), insert("XYZ"), copy(16, 4)), 100)?.toString()).toBe("0123XYZghij");
  });

  test("a copy of size 0 means 65536 bytes", () => {
    const big = Buffer.alloc(70_000, 0x61);
    const out = applyDelta(big, delta(70_000, 65_536, [0x80]), 1 << 20);
    expect(out?.length).toBe(65_536);
  });

  test("a delta for another base, a copy out of the base, a short insert, a result longer or shorter than it says, op 0: null", () => {
    expect(applyDelta(base, delta(21, 4, copy(0, 4)), 100)).toBeNull();
    expect(applyDelta(base, delta(20, 4, copy(18, 4)), 100)).toBeNull();
    expect(applyDelta(base, Buffer.from([...varint(20), ...varint(5), 5, 0x41, 0x42]), 100)).toBeNull();
    expect(applyDelta(base, delta(20, 3, copy(0, 4)), 100)).toBeNull();
    expect(applyDelta(base, delta(20, 5, copy(0, 4)), 100)).toBeNull();
    expect(applyDelta(base, delta(20, 4, [0], copy(0, 4)), 100)).toBeNull();
  });

  test("a target over the cap is not made (a delta bomb)", () => {
    expect(applyDelta(base, delta(20, 1_000_000, ...Array.from({ length: 50_000 }, () => copy(0, 20))), 64 * 1024)).toBeNull();
  });
});
