import { describe, expect, test } from "vitest";
import { withoutParts } from "../../../src/scan/findings/assemble.js";
import type { Finding } from "../../../src/scan/findings/finding.js";

const finding = (encoding: string, path = "app/run.ps1"): Finding => ({ secret: "tok", rule: null, where: "file", layer: null, path, encoding, deleted: false }) as Finding;

describe("withoutParts", () => {
  test("UTF-16BE where UTF-16LE is in the same file adds nothing (ASCII amid UTF-16 text matches both)", () => {
    expect(withoutParts([finding("utf16le"), finding("utf16be")]).map((f) => f.encoding)).toEqual(["utf16le"]);
  });

  test("UTF-16BE alone, or in another file, stays", () => {
    expect(withoutParts([finding("utf16be")]).map((f) => f.encoding)).toEqual(["utf16be"]);
    expect(withoutParts([finding("utf16le", "a"), finding("utf16be", "b")]).map((f) => f.encoding)).toEqual(["utf16le", "utf16be"]);
  });

  test("lines and fields where the raw value is", () => {
    expect(withoutParts([finding("raw"), finding("line"), finding("field"), finding("base64")]).map((f) => f.encoding)).toEqual(["raw", "base64"]);
  });
});

describe("withoutParts: a private key's numbers", () => {
  test("where the key itself is found in the same file (raw, its body re-wrapped, a line), its numbers add nothing", () => {
    for (const key of ["raw", "pem-wrapped", "line"]) {
      expect(withoutParts([finding(key), finding("key-material-base64-wrapped"), finding("key-material-hex-dump")]).map((f) => f.encoding)).toEqual([key]);
    }
  });

  test("alone (the key converted), or in another file, they stay", () => {
    expect(withoutParts([finding("key-material"), finding("key-material-hex-dump")]).map((f) => f.encoding)).toEqual(["key-material", "key-material-hex-dump"]);
    expect(withoutParts([finding("raw", "a"), finding("key-material", "b")]).map((f) => f.encoding)).toEqual(["raw", "key-material"]);
  });
});
