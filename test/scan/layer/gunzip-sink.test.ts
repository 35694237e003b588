import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import { Backlog, type ByteSink } from "../../../src/bytes/backlog.js";
import { gunzipSink } from "../../../src/scan/layer/gunzip-sink.js";

/** Feeds `input` in pieces of `piece` bytes; returns what came out (pieces copied: they are borrowed) and the error. */
async function inflate(input: Buffer, piece: number, downstream?: (chunk: Buffer) => void) {
  const out: Buffer[] = [];
  let ended = false;
  let error: unknown = null;
  const backlog = new Backlog();
  const sink: ByteSink = {
    write: (chunk) => {
      downstream?.(chunk);
      out.push(Buffer.from(chunk));
    },
    end: () => void (ended = true),
  };
  const gunzip = gunzipSink(sink, backlog, new Backlog(), (e) => (error ??= e));
  expect(gunzip).not.toBeNull();
  for (let at = 0; at < input.length; at += piece) gunzip!.write(input.subarray(at, at + piece));
  gunzip!.end();
  await backlog.settle();
  return { out: Buffer.concat(out), ended, error, pieces: out.length };
}

describe("gunzipSink: a gzip layer inflated into one reused buffer", () => {
  const text = Buffer.from("the quick brown fox ".repeat(200_000)); // 4 MB that packs to a few KB
  const random = randomBytes(700_000);

  test.each([
    ["one byte at a time", gzipSync(random.subarray(0, 5000)), random.subarray(0, 5000), 1],
    ["a small write that inflates to megabytes (output drained in pieces)", gzipSync(text), text, 1 << 20],
    ["incompressible data in 64 KiB writes", gzipSync(random), random, 65536],
    ["several gzip members one after another (eStargz)", Buffer.concat([gzipSync(text.subarray(0, 1000)), gzipSync(random), gzipSync(text)]), Buffer.concat([text.subarray(0, 1000), random, text]), 4096],
    ["an empty file", gzipSync(Buffer.alloc(0)), Buffer.alloc(0), 1024],
  ])("%s", async (_name, input, expected, piece) => {
    const { out, ended, error } = await inflate(input, piece);
    expect(error).toBeNull();
    expect(ended).toBe(true);
    expect(out.equals(expected)).toBe(true);
  });

  test("a stream cut short is an error at its end, after what inflated before it", async () => {
    const whole = gzipSync(random);
    const { out, ended, error } = await inflate(whole.subarray(0, whole.length - 100), 65536);
    expect(String(error)).toMatch(/unexpected end of file/);
    expect(ended).toBe(false);
    expect(out.length).toBeGreaterThan(0);
    expect(random.subarray(0, out.length).equals(out)).toBe(true);
  });

  test.each([
    ["a bad header", Buffer.concat([Buffer.from([0x1f, 0x8b, 0x09]), randomBytes(100)]), /unknown compression method|incorrect header check/],
    ["a wrong checksum in the trailer", (() => {
      const bytes = gzipSync(random.subarray(0, 1000));
      bytes[bytes.length - 8]! ^= 0xff;
      return bytes;
    })(), /incorrect data check/],
  ])("%s is an error, and nothing more is written", async (_name, input, message) => {
    const { ended, error } = await inflate(input, 1 << 20);
    expect(String(error)).toMatch(message);
    expect(ended).toBe(false);
  });

  test("an error from downstream stops the inflating and is reported once", async () => {
    let calls = 0;
    const { error, ended } = await inflate(gzipSync(text), 4096, () => {
      calls += 1;
      if (calls === 2) throw new Error("downstream broke");
    });
    expect(String(error)).toMatch(/downstream broke/);
    expect(calls).toBe(2);
    expect(ended).toBe(false);
  });

  test("downstream's pending work is waited for before the next write", async () => {
    const backlog = new Backlog();
    const inner = new Backlog();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const sink: ByteSink = { write: () => inner.add(held), end: () => undefined };
    const gunzip = gunzipSink(sink, backlog, inner, () => undefined)!;
    gunzip.write(gzipSync(text));
    expect(backlog.pending).toBe(true);
    let settled = false;
    const settling = backlog.settle().then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(settled).toBe(false);
    release();
    await settling;
    expect(settled).toBe(true);
  });
});
