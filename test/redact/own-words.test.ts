import { describe, expect, test } from "vitest";
import { createMasker } from "../../src/redact/masker.js";
import { ownJsonKeys, said } from "../../src/redact/own-words.js";
import { SecretValue } from "../../src/secrets/secret-value.js";
import { collector } from "./collect.js";

function masker(...values: string[]) {
  const m = createMasker({ env: {} });
  values.forEach((v, i) => m.add(`s${i}`, SecretValue.copyOf(Buffer.from(v))));
  return m;
}

describe("safebuild's own words are never masked; the data in them is", () => {
  test("a value that is a word of the message leaves the message whole", () => {
    const text = said`secret "${"tok"}" is shorter than ${8} bytes: not scanned`;
    expect(masker("than", "shorter").maskOwn(text)).toBe(text);
  });

  test("the same word as data (an id, a path) is masked", () => {
    const text = said`secret "${"than"}" is shorter than ${8} bytes: not scanned`;
    expect(masker("than").maskOwn(text)).toBe('secret "***" is shorter than 8 bytes: not scanned');
    expect(masker("layer").maskOwn(said`in ${"/app/layer/x"}: found`)).toBe("in /app/***/x: found");
  });

  test("a hit reaching from a fixed word into data is masked whole", () => {
    expect(masker("than-secret").maskOwn(said`shorter than${"-secret"}`)).toBe("shorter ***");
  });

  test("JSON keys are own words: a value named like a key does not break the document", () => {
    const report = { stats: { layers: 1 }, path: "layer" };
    ownJsonKeys(report);
    const out = masker("layers").maskOwn(JSON.stringify(report));
    expect(JSON.parse(out)).toEqual(report);
    expect(masker("layer").maskOwn(JSON.stringify({ stats: { layers: 1 }, path: "/layer/x" }))).toContain('"path":"/***/x"');
  });

  test("maskString (a field's data) and the build log still mask the value everywhere", () => {
    const m = masker("than");
    expect(said`is shorter than ${8}`).toBe("is shorter than 8");
    expect(m.maskString("is shorter than 8")).toBe("is shorter *** 8");
    expect(m.maskBuffer(Buffer.from("is shorter than 8")).toString()).toBe("is shorter *** 8");
  });

  test("say(): held log bytes go out first, the message is masked on its own", async () => {
    const m = masker("than", "sk_live_4eC39HqLyjWDarjtT1zdp7dc");
    const { target, bytes } = collector();
    const stream = m.wrap(target);
    stream.write("#5 0.1 than sk_live_4eC3");
    stream.say(said`safebuild: warning: ${"tok"} is shorter than 8 bytes\n`);
    await stream.drain();
    expect(bytes().toString()).toBe("#5 0.1 *** ***safebuild: warning: tok is shorter than 8 bytes\n");
  });
});
