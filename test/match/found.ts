import { expect } from "vitest";
import { buildNeedles } from "../../src/scan/findings/needles.js";
import { secret } from "../scan/helpers.js";

/**
 * The encodings reported for `hay`, searched whole (config strings, small files) and as a
 * stream cut into pieces of each size (layer contents): both must agree.
 */
export function encodingsIn(value: string | Buffer, hay: string | Buffer, text: BufferEncoding = "utf8"): string[] {
  const needles = buildNeedles([secret("s", value)]);
  const bytes = Buffer.isBuffer(hay) ? hay : Buffer.from(hay, text);
  const whole = new Set<string>();
  needles.matcher.scan(bytes, (tag) => whole.add(needles.variants[tag]!.encoding));
  for (const piece of [1, 7, 64, 4096]) {
    const streamed = new Set<string>();
    const search = needles.streamSearch();
    for (let at = 0; at < bytes.length; at += piece) search.push(bytes.subarray(at, at + piece), (tag) => streamed.add(needles.variants[tag]!.encoding));
    search.end((tag) => streamed.add(needles.variants[tag]!.encoding));
    expect([...streamed].sort(), `pieces of ${piece}`).toEqual([...whole].sort());
  }
  return [...whole].sort();
}
