import { PassThrough } from "node:stream";
import { describe, expect, test } from "vitest";
import { createProgress } from "../../src/report/progress.js";

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString() };
}
const MiB = 1024 * 1024;

describe("progress indicator", () => {
  test("throttled to one redraw per interval, erased at the end", () => {
    const { stream, text } = capture();
    let now = 0;
    const progress = createProgress(stream, "app:1", { intervalMs: 200, now: () => now });
    progress.read(1024);
    now = 50;
    progress.read(2048);
    now = 250;
    progress.read(3 * MiB);
    progress.done();
    const out = text();
    expect(out.match(/scanning app:1/g)).toHaveLength(2);
    expect(out).toContain("1.0 KiB read");
    expect(out).not.toContain("2.0 KiB");
    expect(out).toContain("3.0 MiB read");
    expect(out.endsWith("\r\u001b[K")).toBe(true);
  });

  test("the engine's export phase, then layer n/N, bytes of the total, percent and rate", () => {
    const { stream, text } = capture();
    let now = 0;
    const progress = createProgress(stream, "app:1", { intervalMs: 100, now: () => now, tickMs: 0 });
    progress.expect({ bytes: 1536 * MiB, layers: 6, exporting: true });
    expect(text()).toBe("\r\u001b[Kwaiting for the engine to export app:1 (1.5 GiB)… 0 s");
    now = 12_000;
    progress.layer();
    progress.read(16 * MiB);
    now = 13_000;
    progress.read(160 * MiB);
    progress.done();
    const redraws = text().split("\r\u001b[K").filter(Boolean);
    expect(redraws.at(-1)).toBe("scanning app:1  layer 1/6  160.0 MiB of 1.5 GiB  10%  160.0 MiB/s");
    expect(text().endsWith("\r\u001b[K")).toBe(true);
  });

  test("a file source: total known, layer count not (yet); percent never claims 100 before the end", () => {
    const { stream, text } = capture();
    let now = 0;
    const progress = createProgress(stream, "img.tar", { now: () => now });
    progress.expect({ bytes: 10 * MiB });
    expect(text()).toBe("");
    progress.layer();
    now = 1000;
    progress.read(11 * MiB);
    expect(text().split("\r\u001b[K").at(-1)).toBe("scanning img.tar  layer 1  11.0 MiB of 10.0 MiB  99%  11.0 MiB/s");
  });

  test("at most 10 redraws a second, however often the scan reports", () => {
    const { stream, text } = capture();
    let now = 0;
    const progress = createProgress(stream, "app:1", { now: () => now });
    for (let i = 1; i <= 1000; i++) {
      now = i; // 1000 reports in one second
      progress.read(i * MiB);
    }
    expect(text().match(/scanning/g)?.length).toBeLessThanOrEqual(10);
  });

  test("a long or hostile reference is shortened and shown printable, so the line fits and redraws", () => {
    const { stream, text } = capture();
    const progress = createProgress(stream, `registry.example/${"a".repeat(80)}\u001b[2J:1`);
    progress.read(MiB);
    const line = text().replace("\r\u001b[K", "");
    expect(line).not.toContain("\u001b");
    expect(line.length).toBeLessThan(80);
  });

  test("nothing shown, nothing erased", () => {
    const { stream, text } = capture();
    createProgress(stream, "app:1").done();
    expect(text()).toBe("");
  });
});
