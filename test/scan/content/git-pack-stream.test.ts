import { randomBytes, randomInt } from "node:crypto";
import { describe, expect, test } from "vitest";
import type { DecoderContext } from "../../../src/scan/content/decoder.js";
import { GitPackStream, gitBundleStream } from "../../../src/scan/content/git-pack-stream.js";
import { ContentBudget } from "../../../src/scan/content/limits.js";
import { ReusedInflater } from "../../../src/scan/content/reused-inflater.js";
import type { ContentSink } from "../../../src/scan/content/content-report.js";
import { buildNeedles } from "../../../src/scan/findings/needles.js";
import { gitDirOf } from "../../helpers/content-archives.js";
import { noise, secret } from "../helpers.js";

const value = `sbtest-${randomBytes(18).toString("base64url")}`;
const needles = buildNeedles([secret("s", value)]);

/** A decoder context that records the hits (by member) and what the reader said. */
function context(): { dc: DecoderContext; hits: string[]; said: string[] } {
  const hits: string[] = [];
  const said: string[] = [];
  const dc = {
    inner: "",
    size: null,
    budget: new ContentBudget(),
    deflate: new ReusedInflater("raw"),
    needles,
    report: {
      hit: (_tag: number, inner: string) => hits.push(inner),
      notSearched: (inner: string, reason: string) => said.push(`${inner}: ${reason}`),
      unreadable: (inner: string, reason: string) => said.push(`${inner}: ${reason}`),
    },
    // a whole object's bytes, searched as the content stage would
    open: (inner: string): ContentSink => ({ write: (chunk: Buffer) => needles.matcher.scan(chunk, () => hits.push(inner)), end() {} }),
    openWhole: (inner: string, _c: unknown, data: Buffer) => needles.matcher.scan(data, () => hits.push(inner)),
  } as unknown as DecoderContext;
  return { dc, hits, said };
}

const feed = (sink: ContentSink, data: Buffer, piece: () => number): void => {
  for (let at = 0; at < data.length; ) {
    const n = piece();
    sink.write(data.subarray(at, at + n));
    at += n;
  }
  sink.end();
};

describe("a git pack read as it streams", () => {
  const base = noise(20_000);
  const changed = Buffer.concat([base.subarray(0, 10_000), Buffer.from(`password=${value}\n`), base.subarray(10_000)]);
  const files = gitDirOf(changed, true, Buffer.concat([base, noise(500)]), { bundle: true });
  const pack = files.find(([name]) => name.endsWith(".pack"))![1];
  const bundle = files.find(([name]) => name === "repo.bundle")![1];

  test("the scrubbed value found in its resolved delta, in any pieces, pack or bundle", () => {
    for (const piece of [() => 1, () => 7, () => 4096, () => randomInt(1, 3000)]) {
      for (const [make, data] of [[(dc: DecoderContext) => new GitPackStream(dc), pack], [gitBundleStream, bundle]] as const) {
        const { dc, hits, said } = context();
        feed(make(dc), data, piece);
        expect(said).toEqual([]);
        expect([...new Set(hits)]).toEqual([expect.stringMatching(/^!\/blob@\d+$/)]);
      }
    }
  });

  test("hostile bytes (changed anywhere, cut anywhere, any pieces) never throw and say one thing at most", () => {
    for (let round = 0; round < 400; round++) {
      const damaged = Buffer.from(round % 5 === 0 ? pack.subarray(0, randomInt(1, pack.length)) : pack);
      for (let m = randomInt(1, 10); m > 0; m--) damaged[randomInt(0, damaged.length)] = randomInt(0, 256);
      const { dc, said } = context();
      expect(() => feed(new GitPackStream(dc), damaged, () => randomInt(1, 2000))).not.toThrow();
      expect(said.length).toBeLessThanOrEqual(1);
    }
  });
});
