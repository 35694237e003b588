import { describe, expect, test } from "vitest";
import { z } from "zod";
import { writeJson } from "../../src/report/json.js";
import type { Finding } from "../../src/scan/findings/finding.js";
import { allWheres, DIFF_ID_A, DIGEST_A, findingOf, IMAGE_ID, inputWith, REFERRER, resultWith } from "./sample-results.js";

const opts = { color: false };

/** CONTRACT.md "JSON report", strict: an unknown key fails, so additions are deliberate. */
const layerSchema = z.strictObject({ index: z.number().int().min(0), digest: z.string(), diffId: z.string().nullable(), createdBy: z.string().nullable() });
const findingSchema = z.strictObject({
  secret: z.string().nullable(),
  rule: z.string().nullable(),
  where: z.enum(["file", "path", "linkname", "env", "label", "history", "config", "annotation", "attestation", "manifest"]),
  layer: layerSchema.nullable(),
  path: z.string(),
  encoding: z.string(),
  deleted: z.boolean(),
  image: z.strictObject({ index: z.number().int().min(0).optional(), platform: z.string().optional() }).optional(),
  predicateType: z.string().optional(),
  // an artifact attached outside the image (docs/registries.md "Referrers", issue 14)
  referrer: z.strictObject({ manifest: z.string(), subject: z.string(), via: z.string() }).optional(),
  container: z.string().optional(),
  // a pattern rule's finding (docs/contract.md, issue 16)
  severity: z.enum(["low", "medium", "high", "critical"]).nullable().optional(),
  preview: z.string().max(5).nullable().optional(),
  fingerprint: z.string().regex(/^[A-Za-z0-9._-]+:[0-9a-f]{16}$/).nullable().optional(),
});
const reportSchema = z.strictObject({
  schemaVersion: z.literal(1),
  tool: z.strictObject({ name: z.literal("safebuild"), version: z.string() }),
  image: z.strictObject({ ref: z.string(), id: z.string().nullable() }),
  secrets: z.array(z.strictObject({ id: z.string(), source: z.enum(["env", "file", "dotenv", "vault", "cmd"]) })),
  findings: z.array(findingSchema),
  notSearched: z.array(z.strictObject({ path: z.string(), layer: layerSchema, reason: z.string(), image: z.number().int().min(0).optional() })),
  stats: z.strictObject({ layers: z.number(), files: z.number(), bytes: z.number(), durationMs: z.number() }),
  ignored: z.array(findingSchema.extend({ reason: z.string() }).strict()),
  warnings: z.array(z.string()),
});

const parse = (text: string): Record<string, unknown> => JSON.parse(text) as Record<string, unknown>;

describe("json report", () => {
  test.each(allWheres)("a %s finding matches the contract schema", (where) => {
    const report = parse(writeJson(inputWith([findingOf[where]]), opts));
    expect(reportSchema.safeParse(report).success).toBe(true);
    const findings = report["findings"] as Record<string, unknown>[];
    expect(findings).toHaveLength(1);
    const optional = Object.keys(findings[0] ?? {}).slice(7);
    expect(Object.keys(findings[0] ?? {}).slice(0, 7)).toEqual(["secret", "rule", "where", "layer", "path", "encoding", "deleted"]);
    expect(optional).toEqual(findingOf[where].predicateType !== undefined ? ["image", "predicateType"] : findingOf[where].platform !== undefined ? ["image"] : []);
    expect(findings[0]).toMatchObject({ where, path: findingOf[where].path, deleted: findingOf[where].deleted });
  });

  test("content not searched in full is listed at the top level with its layer and the limit", () => {
    const layer = { index: 1, digest: DIGEST_A, createdBy: "COPY app.jar /app/" };
    const skipped = { path: "app/app.jar!/lib/huge.bin", layer, reason: "decoded content over 64 MiB (limit per file)" };
    const report = parse(writeJson(inputWith([], { result: resultWith([], { notSearched: [skipped] }) }), opts));
    expect(reportSchema.safeParse(report).success).toBe(true);
    expect(report["notSearched"]).toEqual([{ ...skipped, layer: { ...layer, diffId: null } }]);
  });

  test("key order, indent and trailing newline are fixed", () => {
    const text = writeJson(inputWith([findingOf.file]), opts);
    expect(Object.keys(parse(text))).toEqual(["schemaVersion", "tool", "image", "secrets", "findings", "notSearched", "stats", "ignored", "warnings"]);
    expect(text.endsWith("}\n")).toBe(true);
    expect(text).toContain('\n  "schemaVersion": 1,\n');
    // digest (the blob's, as Trivy names layers) and diffId (the uncompressed tar's) both, in this order
    expect(text).toContain(`"layer": {\n        "index": 2,\n        "digest": "${DIGEST_A}",\n        "diffId": "${DIFF_ID_A}",`);
  });

  test("the contract example round-trips exactly", () => {
    const report = parse(writeJson(inputWith([findingOf.file], { secrets: [{ id: "npmrc", source: "file" }] }), opts));
    expect(report).toEqual({
      schemaVersion: 1,
      tool: { name: "safebuild", version: "9.9.9" },
      image: { ref: "app:1", id: IMAGE_ID },
      secrets: [{ id: "npmrc", source: "file" }],
      findings: [
        {
          secret: "npmrc",
          rule: null,
          where: "file",
          layer: { index: 2, digest: DIGEST_A, diffId: DIFF_ID_A, createdBy: "RUN /bin/sh -c cp /run/secrets/npmrc /app/.npmrc" },
          path: "app/.npmrc",
          encoding: "raw",
          deleted: false,
        },
      ],
      notSearched: [],
      stats: { layers: 3, files: 120, bytes: 1048576, durationMs: 812 },
      ignored: [],
      warnings: [],
    });
  });

  test.each([
    ["null layer", { ...findingOf.env }, { layer: null }],
    ["deleted", { ...findingOf.path }, { deleted: true }],
    ["rule finding", { ...findingOf.file, secret: null, rule: "aws-access-key", severity: "critical", preview: "ab…yz", fingerprint: "aws-access-key:0123456789abcdef" }, { secret: null, rule: "aws-access-key", severity: "critical", preview: "ab…yz", fingerprint: "aws-access-key:0123456789abcdef" }],
    ["several images", { ...findingOf.file, image: 1 }, { image: { index: 1 } }],
    ["an image of an index (CONTRACT Additions: image.platform)", { ...findingOf.file, image: 1, platform: "linux/arm64/v8" }, { image: { index: 1, platform: "linux/arm64/v8" } }],
    ["an attestation: JSON pointer and predicate type", findingOf.attestation, { where: "attestation", path: "/predicate/invocation/parameters/args/build-arg:TOKEN", predicateType: "https://slsa.dev/provenance/v0.2", image: { platform: "linux/amd64" } }],
    ["a referrer's attestation (cosign .att): the referrer, after the predicate type", { ...findingOf.attestation, referrer: REFERRER }, { where: "attestation", predicateType: "https://slsa.dev/provenance/v0.2", referrer: REFERRER }],
    ["an index or manifest field: the document and a JSON pointer", findingOf.manifest, { where: "manifest", layer: null, path: `blobs/sha256/${"e5".repeat(32)}#/subject/urls/0` }],
    ["inside a gzip file", { ...findingOf.file, path: "app/x.gz", container: "gzip" }, { path: "app/x.gz", container: "gzip" }],
  ] as [string, Finding, Record<string, unknown>][])("%s", (_name, finding, expected) => {
    const report = parse(writeJson(inputWith([finding]), opts));
    expect(reportSchema.safeParse(report).success).toBe(true);
    expect((report["findings"] as unknown[])[0]).toMatchObject(expected);
  });

  test("fields a scanner attaches beyond the contract are not serialized", () => {
    const extra = { ...findingOf.file, debugBytes: "x" } as Finding;
    const report = parse(writeJson(inputWith([extra]), opts));
    expect(reportSchema.safeParse(report).success).toBe(true);
  });

  test("ignored findings are listed with their reason, warnings kept", () => {
    const input = inputWith([findingOf.env], {
      ignored: [{ ...findingOf.file, reason: "test fixture, not a real token" }],
    });
    const text = writeJson({ ...input, result: { ...input.result, warnings: ["secret x is 4 bytes: skipped"] } }, opts);
    const report = parse(text);
    expect(reportSchema.safeParse(report).success).toBe(true);
    expect(report["findings"]).toHaveLength(1);
    expect(report["ignored"]).toEqual([expect.objectContaining({ where: "file", path: "app/.npmrc", reason: "test fixture, not a real token" })]);
    expect(report["warnings"]).toEqual(["secret x is 4 bytes: skipped"]);
  });

  test("a clean image: no findings, image id may be null", () => {
    const input = inputWith([]);
    const report = parse(writeJson({ ...input, result: { ...input.result, image: { ref: "x.tar", id: null } } }, opts));
    expect(reportSchema.safeParse(report).success).toBe(true);
    expect(report["findings"]).toEqual([]);
    expect(report["image"]).toEqual({ ref: "x.tar", id: null });
  });
});
