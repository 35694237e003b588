import { randomBytes } from "node:crypto";
import { describe, expect, test } from "vitest";
import { variantsOf, wipeVariants } from "../../src/match/variants.js";
import { createMasker } from "../../src/redact/masker.js";
import { SecretValue } from "../../src/secrets/secret-value.js";

// A repository config may name any file of its own folder as a secret: 150 KB of 8-byte lines
// overflowed the masker's stack and took minutes to tell its forms apart.
const manyLines = (): Buffer => Buffer.from(randomBytes(110_000).toString("base64").match(/.{1,8}/g)!.join("\n"));

describe("a secret of tens of thousands of short lines", () => {
  test("its forms are told apart once each, every line kept", () => {
    const value = manyLines();
    const lines = new Set(value.toString().split("\n").filter((l) => l.length >= 8));
    const variants = variantsOf("big", value);
    const asLines = variants.filter((v) => v.encoding === "line").map((v) => v.bytes.toString());
    expect(new Set(asLines).size).toBe(asLines.length);
    // every line of 8 bytes or more but the few a line rule leaves out (all padding, markup)
    expect(asLines.length).toBeGreaterThan(lines.size * 0.99);
    wipeVariants(variants);
  }, 60_000);

  test("the masker registers it and masks a line of it, without blowing its stack", () => {
    const value = manyLines();
    const masker = createMasker({ env: {} });
    masker.add("big", SecretValue.copyOf(value));
    const line = value.toString().split("\n")[500]!;
    expect(masker.maskBuffer(Buffer.from(`log: ${line} end\n`)).toString()).not.toContain(line);
    masker.wipe();
  }, 60_000);
});
