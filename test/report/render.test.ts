import { describe, expect, expectTypeOf, test } from "vitest";
import type { ReportFormat } from "../../src/commands/context.js";
import { maskReportInput } from "../../src/report/mask-input.js";
import { renderReport } from "../../src/report/render.js";
import type { ReportInput, Writer } from "../../src/report/report-input.js";
import { createMasker } from "../../src/redact/masker.js";
import type { Finding } from "../../src/scan/findings/finding.js";
import { SecretValue } from "../../src/secrets/secret-value.js";
import { allWheres, findingOf, inputWith } from "./sample-results.js";

const formats: ReportFormat[] = ["text", "json", "sarif"];

/** True when a value of type U can be reached anywhere inside T. */
type Reaches<T, U> = T extends U
  ? true
  : T extends readonly (infer E)[]
    ? Reaches<E, U>
    : T extends object
      ? { [K in keyof T]-?: Reaches<T[K], U> }[keyof T]
      : false;

describe("report writers never see a secret value", () => {
  test("by type: nothing in a ReportInput is a SecretValue or bytes", () => {
    // The check itself works: a field that holds a value anywhere is caught.
    expectTypeOf<Reaches<{ a: { b: readonly SecretValue[] } }, SecretValue>>().toEqualTypeOf<true>();
    expectTypeOf<Reaches<{ a: Buffer | undefined }, Uint8Array>>().toEqualTypeOf<boolean>();
    expectTypeOf<Reaches<ReportInput, SecretValue>>().toEqualTypeOf<false>();
    expectTypeOf<Reaches<ReportInput, Uint8Array>>().toEqualTypeOf<false>();
    expectTypeOf<Parameters<Writer>>().toEqualTypeOf<[ReportInput, { readonly color: boolean }]>();
  });

  test.each(formats)("%s: a value in image-controlled text is masked before rendering, even where lines are trimmed", (format) => {
    // a fixed value: a random one can share an encoding's piece with the text around it (the masker then masks or holds more)
    const value = "Rt4yU8iO2pA6sD0fG3hJ7kL9zX1cV5bN";
    const masker = createMasker();
    const secret = SecretValue.copyOf(Buffer.from(value));
    masker.add("token", secret);
    // The value sits where the text writer cuts createdBy at 80 characters.
    const createdBy = `RUN |1 TOKEN=${"x".repeat(60)}${value} /bin/sh -c make`;
    const f: Finding = { ...findingOf.history, layer: { index: 1, digest: "sha256:ab", createdBy }, path: `tmp/${value}` };
    // A path that shares characters with the value (a prefix) is legitimate and shown.
    const near: Finding = { ...findingOf.file, path: `app/${value.slice(0, 6)}` };
    const input = inputWith([f, near], { ignored: [{ ...f, reason: `was ${value}` }] });
    const out = renderReport(format, maskReportInput(input, masker), { color: false });
    expect(out).not.toContain(value);
    for (let i = 0; i + 8 <= value.length; i += 1) expect(out).not.toContain(value.slice(i, i + 8));
    expect(out).toContain(`app/${value.slice(0, 6)}`);
    expect(out).toContain("***");
    masker.wipe();
    secret.wipe();
  });
});

describe("renderReport", () => {
  test.each(formats)("%s renders every kind of finding and is deterministic", (format) => {
    const input = inputWith(allWheres.map((w) => findingOf[w]), { ignored: [{ ...findingOf.file, reason: "r" }] });
    const out = renderReport(format, input);
    expect(out).toBe(renderReport(format, input));
    expect(out.endsWith("\n")).toBe(true);
    for (const w of allWheres) expect(out).toContain(findingOf[w].path);
  });
});
