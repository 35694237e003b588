import { describe, expect, test } from "vitest";
import type { PrecheckFinding } from "../../src/precheck/finding.js";
import { createMasker } from "../../src/redact/masker.js";
import { maskReportInput } from "../../src/report/mask-input.js";
import type { PrecheckReport } from "../../src/report/report-input.js";
import { writeJson } from "../../src/report/json.js";
import { writeSarif } from "../../src/report/sarif.js";
import { SecretValue } from "../../src/secrets/secret-value.js";
import { assertValidSarif } from "../helpers/sarif-schema.js";
import { inputWith, resultWith } from "./sample-results.js";

// The checks before a build in the build's json and sarif reports (docs/dockerfile-checks.md, "In the reports").
const opts = { color: false };
const df = { path: "./Dockerfile", line: 3 };
const finding = (f: Partial<PrecheckFinding> & Pick<PrecheckFinding, "kind" | "severity">): PrecheckFinding => ({ secret: "tok", path: "./Dockerfile", encoding: "raw", dockerfile: df, message: `${f.kind} message`, ...f });
const sample: PrecheckReport = {
  passed: false,
  context: "app",
  findings: [
    finding({ kind: "secret-mount", severity: "error", secret: null, encoding: null, dockerfile: { path: "./Dockerfile", line: 2 } }),
    finding({ kind: "build-arg", severity: "error", path: "CRED", dockerfile: null }),
    finding({ kind: "dockerfile-value", severity: "error" }),
    finding({ kind: "context-file", severity: "warning", path: "conf/a#b?.env", secret: null, encoding: null, dockerfile: null }),
    finding({ kind: "arg-name", severity: "note", path: "API_TOKEN", secret: null, encoding: null, dockerfile: { path: "./Dockerfile", line: 5 } }),
  ],
  accepted: [{ ...finding({ kind: "context-file", severity: "error", path: "fake.env", dockerfile: { path: "./Dockerfile", line: 4 } }), reason: "a dummy" }],
};
type Result = { ruleId: string; ruleIndex: number; level: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[]; suppressions?: unknown[] };
type Log = { runs: { tool: { driver: { rules: { id: string; defaultConfiguration: { level: string } }[] } }; results: Result[] }[] };

describe("the checks before a build, in the reports", () => {
  test("JSON: a prechecks object (passed, findings, accepted) with check's field order; absent from a scan's report", () => {
    const report = JSON.parse(writeJson(inputWith([], { prechecks: sample, dockerfile: "Dockerfile" }), opts)) as Record<string, unknown> & { prechecks: { passed: boolean; findings: Record<string, unknown>[]; accepted: Record<string, unknown>[] } };
    expect(report.prechecks.passed).toBe(false);
    expect(report.prechecks.findings.map((f) => Object.keys(f))).toEqual(sample.findings.map(() => ["kind", "severity", "secret", "path", "encoding", "dockerfile", "message"]));
    expect(report.prechecks.findings[1]).toEqual({ kind: "build-arg", severity: "error", secret: "tok", path: "CRED", encoding: "raw", dockerfile: null, message: "build-arg message" });
    expect(report.prechecks.accepted[0]).toMatchObject({ path: "fake.env", reason: "a dummy" });
    expect("prechecks" in (JSON.parse(writeJson(inputWith([]), opts)) as object)).toBe(false);
  });

  test("JSON: a refused build has no image id, and no ref without a tag", () => {
    const report = JSON.parse(writeJson(inputWith([], { result: resultWith([], { image: { ref: "", id: null } }), prechecks: sample }), opts)) as { image: unknown };
    expect(report.image).toEqual({ ref: null, id: null });
  });

  test("SARIF: one result per check at its level and location, its rule listed; valid against the 2.1.0 schema", () => {
    const text = writeSarif(inputWith([], { prechecks: sample, dockerfile: "Dockerfile" }), opts);
    assertValidSarif(text);
    const run = (JSON.parse(text) as Log).runs[0];
    const rules = run?.tool.driver.rules ?? [];
    const results = run?.results ?? [];
    expect(results.map((r) => [r.ruleId, r.level, r.locations[0]?.physicalLocation.artifactLocation.uri, r.locations[0]?.physicalLocation.region.startLine])).toEqual([
      ["secret-mount", "error", "Dockerfile", 2],
      ["secret-in-build-arg", "error", "Dockerfile", 1],
      ["secret-in-dockerfile", "error", "Dockerfile", 3],
      // a context file nothing copies: the file itself, under the context; # and ? are not a fragment or a query
      ["secret-in-build-context", "warning", "app/conf/a%23b%3F.env", 1],
      ["secret-like-arg-name", "note", "Dockerfile", 5],
      ["secret-in-build-context", "error", "Dockerfile", 4],
    ]);
    for (const r of results) expect(rules[r.ruleIndex]?.id).toBe(r.ruleId);
    expect(results[5]?.suppressions).toEqual([{ kind: "external", status: "accepted", justification: "a dummy" }]);
    expect(rules.find((r) => r.id === "secret-like-arg-name")?.defaultConfiguration.level).toBe("note");
  });

  test("SARIF: an image ref whose first segment has a colon but no scheme stays a valid URI reference", () => {
    const withFinding = writeSarif({ ...inputWith([]), result: { ...resultWith([{ secret: "tok", rule: null, where: "env", layer: null, path: "Env[0]", encoding: "raw", deleted: false }]), image: { ref: "127.0.0.1:5000/app:1", id: null } } }, opts);
    assertValidSarif(withFinding);
    expect((JSON.parse(withFinding) as Log).runs[0]?.results[0]?.locations[0]?.physicalLocation.artifactLocation.uri).toBe("./127.0.0.1:5000/app:1");
  });

  test("masking: a context file named after a value, and its message, are masked before a writer sees them", () => {
    const value = "ctxname-7f3a9c2e51";
    const masker = createMasker({ env: {} });
    masker.add("tok", SecretValue.copyOf(Buffer.from(value)));
    const named: PrecheckReport = { ...sample, findings: [finding({ kind: "context-file", severity: "warning", path: `keys/${value}`, message: `build context: keys/${value} holds secret "tok" (raw)`, dockerfile: null })] };
    const masked = maskReportInput(inputWith([], { prechecks: named }), masker);
    for (const text of [writeJson(masked, opts), writeSarif(masked, opts)]) expect(text).not.toContain(value);
    expect(masked.prechecks?.findings[0]?.path).toBe("keys/***");
  });
});
