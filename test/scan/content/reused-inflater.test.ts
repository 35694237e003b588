import { randomBytes } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import { ReusedInflater } from "../../../src/scan/content/reused-inflater.js";
import { noise } from "../helpers.js";

/** Everything `inflate` passed on, joined, with the largest piece and what it returned. */
function run(inflater: ReusedInflater, input: Buffer, cap = Number.MAX_SAFE_INTEGER) {
  const pieces: Buffer[] = [];
  const cut = inflater.inflate(input, cap, (piece) => pieces.push(Buffer.from(piece)));
  return { cut, output: Buffer.concat(pieces), largest: Math.max(0, ...pieces.map((p) => p.length)) };
}

describe("ReusedInflater", () => {
  // A change of node's zlib internals must show here, not as a silently slower scan.
  test("drives this node's zlib handle", () => {
    expect(new ReusedInflater().inflate(gzipSync("hello"), 100, () => undefined)).toBe(false);
  });

  test("a file of several members, in pieces of one reused buffer", () => {
    const parts = [noise(700_000), noise(10), Buffer.alloc(300_000, 0x61)];
    const input = Buffer.concat(parts.map((p) => gzipSync(p)));
    const { cut, output, largest } = run(new ReusedInflater(), input);
    expect(cut).toBe(false);
    expect(output.equals(Buffer.concat(parts))).toBe(true);
    expect(largest).toBeLessThanOrEqual(256 * 1024);
  });

  test("the cap cuts the output at exactly its size", () => {
    const content = noise(600_000);
    const { cut, output } = run(new ReusedInflater(), gzipSync(content), 300_001);
    expect(cut).toBe(true);
    expect(output.equals(content.subarray(0, 300_001))).toBe(true);
    expect(run(new ReusedInflater(), gzipSync(content), content.length).cut).toBe(false);
  });

  test.each([
    ["in one output piece", 60_000],
    ["in several", 800_000],
  ])("a file cut short gives what inflated of it (%s)", (_name, size) => {
    const content = noise(size);
    const whole = gzipSync(content);
    const { cut, output } = run(new ReusedInflater(), whole.subarray(0, Math.floor(whole.length * 0.6)));
    expect(cut).toBe(false);
    expect(output.length).toBeGreaterThan(content.length * 0.5);
    expect(output.equals(content.subarray(0, output.length))).toBe(true);
  });

  test("corrupt data ends it quietly: only this file's true bytes come out, and the next file inflates whole", () => {
    const inflater = new ReusedInflater();
    // the reused buffer now holds bytes of an earlier file, marked
    const marker = Buffer.from(`sbtest-stale-${randomBytes(8).toString("hex")}`);
    const earlier = Buffer.concat(Array.from({ length: 20_000 }, () => marker));
    expect(run(inflater, gzipSync(earlier)).output.equals(earlier)).toBe(true);
    const content = noise(900_000);
    const good = gzipSync(content);
    const corrupt = Buffer.concat([good.subarray(0, 500_000), randomBytes(200_000)]);
    const broken = run(inflater, corrupt);
    expect(broken.cut).toBe(false);
    expect(broken.output.equals(content.subarray(0, broken.output.length))).toBe(true);
    expect(broken.output.includes(marker)).toBe(false);
    // not gzip at all
    expect(run(inflater, randomBytes(5000)).output.length).toBe(0);
    expect(run(inflater, good).output.equals(content)).toBe(true);
    inflater.close();
    expect(run(inflater, good).output.equals(content)).toBe(true);
  });

  test("the same as zlib's own synchronous call over many files in a row", () => {
    const inflater = new ReusedInflater();
    for (let i = 0; i < 40; i++) {
      const input = gzipSync(noise(1 + ((i * 7919) % 90_000)));
      expect(run(inflater, input).output.equals(gunzipSync(input))).toBe(true);
    }
  });
});

describe("ReusedInflater.begin: a file inflated as its bytes come", () => {
  test("whatever the pieces, the same output as inflating it whole; the cap holds across pieces", () => {
    const content = Buffer.concat([noise(500_000), Buffer.alloc(200_000, 0x62), noise(300_000)]);
    const input = Buffer.concat([gzipSync(content.subarray(0, 600_000)), gzipSync(content.subarray(600_000))]);
    const inflater = new ReusedInflater();
    for (const piece of [1, 7, 4096, 65_536, 300_001]) {
      for (const cap of [content.length, 777_777]) {
        const pieces: Buffer[] = [];
        const inflation = inflater.begin(cap, (out) => pieces.push(Buffer.from(out)))!;
        for (let at = 0; at < input.length; at += piece) inflation.write(input.subarray(at, at + piece));
        expect(inflation.end()).toBe(cap < content.length);
        expect(Buffer.concat(pieces).equals(content.subarray(0, cap))).toBe(true);
      }
    }
  });

  test("inflations open at once (layers walked interleaved) each inflate on a handle of their own", () => {
    const inflater = new ReusedInflater();
    const [one, two] = [noise(700_000), noise(600_000)];
    const [a, b] = [gzipSync(one), gzipSync(two)];
    const outA: Buffer[] = [];
    const outB: Buffer[] = [];
    const first = inflater.begin(one.length, (out) => outA.push(Buffer.from(out)))!;
    const second = inflater.begin(two.length, (out) => outB.push(Buffer.from(out)))!;
    for (let at = 0; at < Math.max(a.length, b.length); at += 50_000) {
      first.write(a.subarray(at, at + 50_000));
      // a whole file in between, on a third handle
      expect(run(inflater, gzipSync(`between ${at}`)).output.toString()).toBe(`between ${at}`);
      second.write(b.subarray(at, at + 50_000));
    }
    expect([first.end(), second.end()]).toEqual([false, false]);
    expect(Buffer.concat(outA).equals(one)).toBe(true);
    expect(Buffer.concat(outB).equals(two)).toBe(true);
    expect(run(inflater, gzipSync("hello")).output.toString()).toBe("hello");
    inflater.close();
  });

  test("an inflation open when the inflater closes writes nothing more, and the inflater opens anew", () => {
    const inflater = new ReusedInflater();
    const content = noise(400_000);
    const input = gzipSync(content);
    const out: Buffer[] = [];
    const inflation = inflater.begin(content.length, (piece) => out.push(Buffer.from(piece)))!;
    inflation.write(input.subarray(0, 100_000));
    const before = Buffer.concat(out).length;
    inflater.close();
    inflation.write(input.subarray(100_000));
    expect(inflation.end()).toBe(false);
    expect(Buffer.concat(out).length).toBe(before);
    expect(run(inflater, input).output.equals(content)).toBe(true);
  });
});
