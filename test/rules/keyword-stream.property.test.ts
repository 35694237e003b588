import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { pem, token } from "./tokens.js";
import { findStream, findWhole } from "./find.js";

const makers: [string, () => string][] = [
  ["github-token", () => token.github("p")],
  ["npm-token", () => `_authToken=${token.npm()}`],
  ["google-api-key", () => token.google()],
  ["slack-token", () => token.slack()],
  ["stripe-key", () => token.stripe()],
  ["private-key", () => pem("OPENSSH PRIVATE KEY", token.pemBody(400)).trimEnd()],
];

describe("rules in a stream: random bytes around planted tokens, random chunk splits", () => {
  test("every planted token is found once, at its offset, whatever the split", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: 0, max: makers.length - 1 })), { minLength: 1, maxLength: 5 }),
        fc.uint8Array({ maxLength: 500 }),
        fc.array(fc.integer({ min: 1, max: 4000 }), { minLength: 1, maxLength: 20 }),
        (segments, tail, cuts) => {
          const parts: Buffer[] = [];
          const planted: { rule: string; offset: number; end: number }[] = [];
          let length = 0;
          for (const [noise, which] of segments) {
            const [rule, make] = makers[which]!;
            const value = make();
            const bytes = [Buffer.from(noise), Buffer.from(`\n${value}\n`)];
            planted.push({ rule, offset: length + noise.length + 1, end: length + noise.length + 1 + value.length });
            for (const b of bytes) {
              parts.push(b);
              length += b.length;
            }
          }
          parts.push(Buffer.from(tail));
          const data = Buffer.concat(parts);
          const pieces: Buffer[] = [];
          let at = 0;
          for (let i = 0; at < data.length; i++) {
            const size = cuts[i % cuts.length]!;
            pieces.push(data.subarray(at, at + size));
            at += size;
          }
          const streamed = findStream(pieces).rules.map((f) => ({ rule: f.rule, offset: f.offset }));
          // the secret is the token, or a private key's body inside its armour
          for (const p of planted) expect(streamed.filter((f) => f.offset >= p.offset && f.offset < p.end && f.rule === p.rule)).toHaveLength(1);
          // the stream finds what a whole-buffer search finds, nothing more or less
          const whole = findWhole(data).map((f) => ({ rule: f.rule, offset: f.offset }));
          const key = (f: { rule: string; offset: number }): string => `${f.rule}@${f.offset}`;
          expect(streamed.map(key).sort()).toEqual(whole.map(key).sort());
        },
      ),
      { numRuns: 150 },
    );
  });
});
