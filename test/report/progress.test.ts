import { PassThrough } from "node:stream";
import { describe, expect, test } from "vitest";
import { createProgress } from "../../src/report/progress.js";

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString() };
}

describe("progress indicator", () => {
  test("throttled to one update per interval, erased at the end", () => {
    const { stream, text } = capture();
    let now = 0;
    const progress = createProgress(stream, "app:1", { intervalMs: 200, now: () => now });
    progress.update(1024);
    now = 50;
    progress.update(2048);
    now = 250;
    progress.update(3 * 1024 * 1024);
    progress.done();
    const out = text();
    expect(out.match(/scanning app:1/g)).toHaveLength(2);
    expect(out).toContain("1.0 KiB read");
    expect(out).not.toContain("2.0 KiB");
    expect(out).toContain("3.0 MiB read");
    expect(out.endsWith("\r\u001b[K")).toBe(true);
  });

  test("nothing shown, nothing erased", () => {
    const { stream, text } = capture();
    createProgress(stream, "app:1").done();
    expect(text()).toBe("");
  });
});
