import { describe, expect, test } from "vitest";
import { z } from "zod";
import { fingerprint, writeSarif } from "../../src/report/sarif.js";
import { allWheres, findingOf, inputWith, REFERRER } from "./sample-results.js";
import { assertValidSarif } from "../helpers/sarif-schema.js";

const opts = { color: false };

/**
 * The properties SARIF 2.1.0's schema requires (sarifLog.version/runs, run.tool, tool.driver,
 * toolComponent.name, result.message, message.text|id, reportingDescriptor.id,
 * suppression.kind) plus what GitHub code scanning needs to place an alert
 * (ruleId, a physicalLocation with artifactLocation.uri and region.startLine).
 */
const message = z.object({ text: z.string().min(1) });
const sarifSchema = z.object({
  $schema: z.string().url(),
  version: z.literal("2.1.0"),
  runs: z
    .array(
      z.object({
        tool: z.object({
          driver: z.object({
            name: z.literal("safebuild"),
            version: z.string(),
            informationUri: z.string().url(),
            rules: z.array(
              z.object({
                id: z.string().min(1),
                name: z.string(),
                shortDescription: message,
                fullDescription: message,
                help: z.object({ text: z.string().min(1), markdown: z.string() }),
                defaultConfiguration: z.object({ level: z.enum(["none", "note", "warning", "error"]) }),
              }),
            ),
          }),
        }),
        results: z.array(
          z.object({
            ruleId: z.string(),
            ruleIndex: z.number().int().min(0),
            level: z.literal("error"),
            message,
            locations: z
              .array(
                z.object({
                  physicalLocation: z.object({
                    artifactLocation: z.object({ uri: z.string().min(1) }),
                    region: z.object({ startLine: z.number().int().min(1) }),
                  }),
                  logicalLocations: z.array(z.object({ name: z.string(), kind: z.string() })).min(1),
                }),
              )
              .min(1),
            partialFingerprints: z.record(z.string(), z.string()),
            suppressions: z
              .array(
                z.object({
                  kind: z.enum(["inSource", "external"]),
                  status: z.enum(["accepted", "underReview", "rejected"]),
                  justification: z.string(),
                }),
              )
              .optional(),
          }),
        ),
      }),
    )
    .length(1),
});
type Sarif = z.infer<typeof sarifSchema>;

function render(...args: Parameters<typeof inputWith>): Sarif {
  const text = writeSarif(inputWith(...args), opts);
  expect(text.endsWith("}\n")).toBe(true);
  assertValidSarif(text);
  const parsed = sarifSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(JSON.stringify(parsed.error.issues, null, 2));
  return parsed.data;
}
const run = (s: Sarif): Sarif["runs"][number] => s.runs[0] as Sarif["runs"][number];

describe("sarif report", () => {
  test.each(allWheres)("a %s finding is a well-formed result", (where) => {
    const r = run(render([findingOf[where]]));
    expect(r.results).toHaveLength(1);
    const result = r.results[0];
    expect(result?.ruleId).toBe(`secret-in-${where}`);
    expect(r.tool.driver.rules[result?.ruleIndex ?? -1]?.id).toBe(result?.ruleId);
    expect(result?.message.text).toContain(findingOf[where].secret ?? "");
    expect(result?.message.text).toContain(findingOf[where].path);
    expect(result?.suppressions).toBeUndefined();
  });

  test("rule ids are unique", () => {
    const ids = run(render([])).tool.driver.rules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(10);
  });

  test("location: the Dockerfile when known, else the image ref; logical locations name layer and path", () => {
    const withFile = run(render([findingOf.file], { dockerfile: "./examples/leaky/Dockerfile" })).results[0]?.locations[0];
    expect(withFile?.physicalLocation.artifactLocation.uri).toBe("examples/leaky/Dockerfile");
    expect(withFile?.logicalLocations.map((l) => l.name)).toEqual(["layer 2", "app/.npmrc"]);
    const without = run(render([findingOf.env])).results[0]?.locations[0];
    expect(without?.physicalLocation.artifactLocation.uri).toBe("app:1");
    expect(without?.logicalLocations.map((l) => l.name)).toEqual(["config", "Env[2]"]);
  });

  test("fingerprints are stable across runs and differ between findings", () => {
    const a = run(render(allWheres.map((w) => findingOf[w])));
    const b = run(render(allWheres.map((w) => findingOf[w]), { toolVersion: "10.0.0" }));
    const prints = a.results.map((r) => JSON.stringify(r.partialFingerprints));
    expect(prints).toEqual(b.results.map((r) => JSON.stringify(r.partialFingerprints)));
    expect(new Set(prints).size).toBe(prints.length);
  });

  test.each([
    ["encoding", { encoding: "hex" as const }],
    ["path", { path: "app/.npmrc2" }],
    ["layer", { layer: { index: 2, digest: `sha256:${"ff".repeat(32)}`, createdBy: null } }],
    ["secret", { secret: "other" }],
    ["image", { image: 1 }],
    ["container", { container: "gzip" as const }],
  ])("the fingerprint changes with the %s", (_name, change) => {
    expect(fingerprint({ ...findingOf.file, ...change })).not.toBe(fingerprint(findingOf.file));
  });

  test("the fingerprint ignores createdBy and deleted (same leak, rebuilt)", () => {
    const layer = findingOf.file.layer;
    expect(layer).not.toBeNull();
    if (layer === null) return;
    expect(fingerprint({ ...findingOf.file, deleted: true, layer: { ...layer, createdBy: "other" } })).toBe(fingerprint(findingOf.file));
  });

  test("ignored findings are suppressed results with the reason", () => {
    const r = run(render([findingOf.env], { ignored: [{ ...findingOf.file, reason: "fixture key" }] }));
    expect(r.results).toHaveLength(2);
    expect(r.results[0]?.suppressions).toBeUndefined();
    expect(r.results[1]?.suppressions).toEqual([{ kind: "external", status: "accepted", justification: "fixture key" }]);
  });

  test("deleted findings say they still ship; several images are named", () => {
    const r = run(render([{ ...findingOf.path, image: 1 }]));
    expect(r.results[0]?.message.text).toContain("still ships");
    expect(r.results[0]?.message.text).toContain("(image 1)");
  });

  test("a referrer's finding names it in properties and message, and is fingerprinted apart from the image's own", () => {
    const r = run(render([{ ...findingOf.attestation, referrer: REFERRER }, findingOf.attestation]));
    const raw = JSON.parse(writeSarif(inputWith([{ ...findingOf.attestation, referrer: REFERRER }]), opts)) as { runs: { results: { properties: unknown }[] }[] };
    expect(raw.runs[0]?.results[0]?.properties).toMatchObject({ referrer: REFERRER });
    expect(r.results[0]?.message.text).toContain(`attached to ${REFERRER.subject} as ${REFERRER.manifest} (${REFERRER.via})`);
    expect(fingerprint({ ...findingOf.attestation, referrer: REFERRER })).not.toBe(fingerprint(findingOf.attestation));
  });

  test("every warning is a warning-level tool notification (beside the not-searched errors)", () => {
    const text = writeSarif(inputWith([], { result: { ...inputWith([]).result, warnings: ["secret \"x\" is not mounted by any RUN"] } }), opts);
    const invocations = (JSON.parse(text) as { runs: { invocations: { executionSuccessful: boolean; toolExecutionNotifications: unknown[] }[] }[] }).runs[0]?.invocations;
    expect(invocations).toEqual([
      { executionSuccessful: true, toolExecutionNotifications: [{ level: "warning", descriptor: { id: "warning" }, message: { text: 'secret "x" is not mounted by any RUN' } }] },
    ]);
  });
});
