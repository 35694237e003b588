import { describe, expect, test } from "vitest";
import { formatBytes, formatDuration, instruction, printable, shortDigest, writeText } from "../../src/report/text.js";
import type { Finding, FindingWhere } from "../../src/scan/findings/finding.js";
import { allWheres, findingOf, inputWith, REFERRER } from "./sample-results.js";

const plain = { color: false };

const whereWords: Record<FindingWhere, string> = {
  file: "in file contents",
  path: "in a file name",
  linkname: "in a link target",
  env: "in ENV",
  label: "in a LABEL",
  history: "in the build history",
  config: "in the image config",
  annotation: "in an OCI annotation",
  attestation: "in a build attestation",
  manifest: "in an image index or manifest",
};

describe("text report", () => {
  test("headline: image, id, secrets checked, layers, files, bytes, time", () => {
    const first = writeText(inputWith([]), plain).split("\n")[0];
    expect(first).toBe("Scanned app:1 (sha256:cccccccccccc): 2 secrets checked, 3 layers, 120 files, 1.0 MiB in 812 ms");
  });

  test.each(allWheres)("a %s finding names the secret, encoding, where and path", (where) => {
    const f = findingOf[where];
    const text = writeText(inputWith([f]), plain);
    const line = text.split("\n").find((l) => l.includes(f.path)) ?? "";
    expect(line).toContain(f.secret ?? "");
    expect(line).toContain(`[${f.encoding}]`);
    expect(line).toContain(whereWords[where]);
    expect(line.includes("(deleted in a later layer, still shipped)")).toBe(f.deleted);
    const placeWord = f.layer !== null ? "layer \\d" : where === "annotation" || where === "attestation" || where === "manifest" ? where : "config";
    expect(text).toMatch(new RegExp(`\\nLEAK: 1 finding of (npmrc|token) \\(${placeWord} [^)]+\\)\\n$`));
    expect(text).toContain("How to fix, then rebuild and scan again:\n  - ");
  });

  test("a layer finding shows index, short digest and its instruction", () => {
    const text = writeText(inputWith([findingOf.file]), plain);
    expect(text).toContain("layer 2 sha256:a1a1a1a1a1a1  RUN /bin/sh -c cp /run/secrets/npmrc /app/.npmrc");
    expect(text).toContain("RUN --mount=type=secret");
  });

  test("a config finding says so instead of a layer", () => {
    const text = writeText(inputWith([findingOf.env]), plain);
    expect(text).toContain("\n      image config\n");
    expect(text).toContain("ENV");
  });

  test("each kind's fix is given once", () => {
    const text = writeText(inputWith([findingOf.history, { ...findingOf.history, path: "history[4].created_by" }, findingOf.file]), plain);
    expect(text.match(/ARG\/--build-arg/g)).toHaveLength(1);
    expect(text).toMatch(/\nLEAK: 3 findings of token, npmrc \(config history\[\d\]\.created_by, config history\[4\]\.created_by, layer 2 app\/\.npmrc\)\n$/);
  });

  test("clean image", () => {
    const text = writeText(inputWith([]), plain);
    expect(text.endsWith("\nOK: 2 secrets checked in 3 layers\n")).toBe(true);
    expect(text).not.toContain("LEAK");
    expect(text).not.toContain("How to fix");
  });

  test("ignored findings are shown in their own section with the reason, never dropped", () => {
    const text = writeText(inputWith([], { ignored: [{ ...findingOf.label, reason: "public build id" }] }), plain);
    expect(text).toContain("Ignored by policy (1):");
    expect(text).toContain("Labels.token");
    expect(text).toContain("reason: public build id");
    expect(text).toContain("OK: 2 secrets checked in 3 layers (1 finding ignored by policy)");
  });

  test("no secrets given: the verdict says nothing was checked, not OK (issue 18)", () => {
    const text = writeText(inputWith([], { secrets: [] }), plain);
    expect(text.endsWith("\nNOTHING CHECKED: no secrets given (--secret ID=REF, or secrets: in safebuild.yml)\n")).toBe(true);
    expect(text).not.toContain("OK");
  });

  test("several images: each finding names its image", () => {
    const text = writeText(inputWith([{ ...findingOf.file, image: 1 }]), plain);
    expect(text).toContain("image 1, app/.npmrc");
  });

  test("a long list is cut at 50 findings, with a count of the rest", () => {
    const many = Array.from({ length: 53 }, (_, i) => ({ ...findingOf.file, path: `app/f${i}` }));
    const text = writeText(inputWith(many, { ignored: many.map((finding) => ({ ...finding, reason: "r" })) }), plain);
    expect(text).toContain("app/f49");
    expect(text).not.toContain("app/f50");
    expect(text.match(/… and 3 more \(--format json lists them all\)/g)).toHaveLength(2);
    expect(text).toContain("LEAK: 53 findings of npmrc (layer 2 app/f0, layer 2 app/f1, layer 2 app/f2, …) (53 findings ignored by policy)\n");
  });

  test("a referrer's finding names the referrer, its subject and how it was found", () => {
    const text = writeText(inputWith([{ ...findingOf.attestation, referrer: REFERRER }]), plain);
    expect(text).toContain(`referrer sha256:f6f6f6f6f6f6 of sha256:a7a7a7a7a7a7 (${REFERRER.via})`);
    expect(text).toContain("delete the attached artifact");
    expect(writeText(inputWith([findingOf.attestation]), plain)).not.toContain("delete the attached artifact");
  });

  test("a match inside a gzip file says so", () => {
    const text = writeText(inputWith([{ ...findingOf.file, path: "app/x.gz", container: "gzip" }]), plain);
    expect(text).toContain("app/x.gz (inside the gzip file)");
  });

  test("a pattern-rule finding names the rule", () => {
    const f: Finding = { ...findingOf.file, secret: null, rule: "aws-access-key" };
    expect(writeText(inputWith([f]), plain)).toContain("rule aws-access-key");
  });

  test("colour only when asked", () => {
    const input = inputWith([findingOf.file]);
    expect(writeText(input, plain)).not.toContain("\u001b[");
    expect(writeText(input, { color: true })).toContain("\u001b[31mLEAK");
  });

  test("hostile names cannot drive the terminal", () => {
    const f: Finding = { ...findingOf.file, path: "evil\u001b[2J\nname", layer: { index: 0, digest: "sha256:00", createdBy: "RUN x\u001b]0;t\u0007" } };
    const text = writeText(inputWith([f]), plain);
    expect(text).not.toContain("\u001b");
    expect(text).not.toContain("\u0007");
    expect(text).toContain("evil\\x1b[2J\\x0aname");
  });
});

describe("text helpers", () => {
  test.each([
    ["RUN /bin/sh -c echo hi", "RUN /bin/sh -c echo hi"],
    ["/bin/sh -c #(nop)  ENV A=b", "ENV A=b"],
    ["RUN a \\\n    && b\t\tc", "RUN a \\ && b c"],
    ["x".repeat(200), `${"x".repeat(79)}…`],
  ])("instruction(%j)", (input, expected) => {
    expect(instruction(input)).toBe(expected);
    expect(instruction(input).length).toBeLessThanOrEqual(80);
  });

  test.each([
    [`sha256:${"ab".repeat(32)}`, "sha256:abababababab"],
    ["abcdef0123456789", "abcdef012345"],
  ])("shortDigest(%s)", (input, expected) => expect(shortDigest(input)).toBe(expected));

  test.each([
    [0, "0 B"],
    [1023, "1023 B"],
    [1536, "1.5 KiB"],
    [1_073_741_824, "1.0 GiB"],
  ])("formatBytes(%d)", (input, expected) => expect(formatBytes(input)).toBe(expected));

  test.each([
    [812, "812 ms"],
    [1500, "1.5 s"],
  ])("formatDuration(%d)", (input, expected) => expect(formatDuration(input)).toBe(expected));

  test("printable keeps ordinary text", () => expect(printable("a b/ü.txt")).toBe("a b/ü.txt"));
});
