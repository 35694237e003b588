import { describe, expect, test } from "vitest";
import { createMasker } from "../../src/redact/masker.js";
import { variantsOf } from "../../src/match/variants.js";
import { buildNeedles } from "../../src/scan/findings/needles.js";
import { SecretValue } from "../../src/secrets/secret-value.js";

// A one-line secret file with blanks around the value (copy-paste, an env var with a stray
// space): the build trims it, the image holds the value alone.
const TOKEN = "Zq8!wR#4vT%9yU&2";
const forms = (value: string): Buffer[] => variantsOf("s", Buffer.from(value)).map((v) => v.bytes);
const holds = (value: string, form: string | Buffer): boolean => forms(value).some((b) => b.equals(Buffer.from(form)));

describe("the value without the blanks around it, and its encodings", () => {
  test.each([
    ["a leading space", ` ${TOKEN}\n`],
    ["a trailing space", `${TOKEN} \n`],
    ["a leading tab", `\t${TOKEN}\n`],
    ["a BOM and a space, CRLF", `\uFEFF ${TOKEN}\r\n`],
    ["blank lines after a trailing space", `${TOKEN} \r\n\n \n`],
    ["spaces on both sides, no newline", `  ${TOKEN}  `],
  ])("%s", (_name, value) => {
    for (const form of [TOKEN, Buffer.from(TOKEN).toString("base64"), Buffer.from(TOKEN).toString("hex"), encodeURIComponent(TOKEN), Buffer.from(TOKEN, "utf16le")]) {
      expect(holds(value, form), String(form)).toBe(true);
    }
  });

  test("too short without its blanks (7 bytes): neither it nor its encodings, and the scan says why", () => {
    const value = `  ${TOKEN.slice(0, 7)}  \n`;
    expect(holds(value, TOKEN.slice(0, 7))).toBe(false);
    expect(holds(value, Buffer.from(TOKEN.slice(0, 7)).toString("base64"))).toBe(false);
    const needles = buildNeedles([{ id: "s", kind: "env", value: SecretValue.copyOf(Buffer.from(value)) }]);
    expect(needles.warnings).toEqual(['secret "s" is shorter than 8 bytes without the blanks around it: not scanned']);
    expect(needles.variants).toEqual([]);
  });

  test("the build log masks the trimmed value and its base64", () => {
    const m = createMasker({ env: {} });
    m.add("s", SecretValue.copyOf(Buffer.from(` ${TOKEN}\n`)));
    expect(m.maskString(`token=${TOKEN};`)).toBe("token=***;");
    expect(m.maskString(`b64 ${Buffer.from(TOKEN).toString("base64")} end`)).toBe("b64 *** end");
  });
});
