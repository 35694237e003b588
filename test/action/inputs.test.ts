import { describe, expect, test } from "vitest";
import { actionInputs, listInput } from "../../src/action/inputs.js";
import { renderSummary, summaryFacts } from "../../src/action/summary.js";
import { lastVerdict } from "../../src/action/verdict.js";

const env = (inputs: Record<string, string>): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]));

describe("action inputs → safebuild argv", () => {
  test("defaults: build ., SARIF report in the workspace, image id file", () => {
    const got = actionInputs(env({}), "/t");
    expect(got.argv).toEqual(["build", "--format", "sarif", "--report", "safebuild-report.sarif", "--iidfile", "/t/iid", "."]);
    expect(got.metadataFile).toBeUndefined();
  });

  test("lists: one per line, commas where build-push-action allows them, comments and blanks dropped", () => {
    const got = actionInputs(
      env({
        secrets: "npmrc=~/.npmrc\n\n# a comment\nid=tok,env=TOKEN\n",
        tags: "app:1, app:latest\nreg/app:2",
        "build-args": "A=1,2\nB=x",
        platforms: "linux/amd64,linux/arm64",
        target: "runtime",
        context: "svc",
        format: "json",
        output: "r.json",
      }),
      "/t",
    );
    expect(got.argv).toEqual([
      "build",
      "--secret", "npmrc=~/.npmrc",
      "--secret", "id=tok,env=TOKEN",
      "--tag", "app:1", "--tag", "app:latest", "--tag", "reg/app:2",
      "--build-arg", "A=1,2", "--build-arg", "B=x",
      "--target", "runtime",
      "--platform", "linux/amd64,linux/arm64",
      "--format", "json", "--report", "r.json", "--iidfile", "/t/iid",
      "svc",
    ]);
  });

  test.each([
    [{ format: "html" }, /input format: expected one of text, json, sarif/],
    [{ push: "yes" }, /input push: expected true or false/],
    [{ "fail-on": "none" }, /input fail-on: only "any" is supported yet/],
  ])("bad input %o is one clear error", (inputs, message) => {
    expect(() => actionInputs(env(inputs), "/t")).toThrow(message);
  });

  test("push: true pushes after a clean scan and writes the metadata the digest output is read from", () => {
    const got = actionInputs(env({ push: "true", tags: "registry.example.com/app:1" }), "/t");
    expect(got.metadataFile).toBe("/t/metadata.json");
    expect(got.argv).toEqual(["build", "--tag", "registry.example.com/app:1", "--push", "--metadata-file", "/t/metadata.json", "--format", "sarif", "--report", "safebuild-report.sarif", "--iidfile", "/t/iid", "."]);
  });

  test("a secret spec line is kept whole (its commas belong to the docker form)", () => {
    expect(listInput(env({ secrets: "id=a,src=/x/y" }), "secrets")).toEqual(["id=a,src=/x/y"]);
  });
});

describe("job summary", () => {
  const json = JSON.stringify({
    secrets: [{ id: "npmrc" }, { id: "tok" }],
    findings: [{ secret: "npmrc", where: "file", layer: { index: 2 }, path: "app/.npmrc|<img src=x>" }],
  });

  test("a table of what was found, ids and places only, Markdown and HTML escaped", () => {
    const md = renderSummary(summaryFacts("json", json, "LEAK: 1 finding"));
    expect(md).toContain("Secrets checked: `npmrc`, `tok`");
    expect(md).toContain("| npmrc | file | layer 2: app/.npmrc\\|&lt;img src=x&gt; |");
    expect(md).not.toContain("<img");
  });

  test("SARIF: suppressed (ignored) results are not listed", () => {
    const sarif = JSON.stringify({
      runs: [{ results: [
        { properties: { secret: "a", where: "env", layer: null, path: "Env[0]" } },
        { properties: { secret: "b", where: "file", layer: { index: 0 }, path: "x" }, suppressions: [{}] },
      ] }],
    });
    const facts = summaryFacts("sarif", sarif, "LEAK");
    expect(facts.rows).toEqual([{ secret: "a", where: "env", place: "Env[0]" }]);
  });

  test("SARIF: the checks before the build (results with a kind) are not image findings: not listed", () => {
    const sarif = JSON.stringify({
      runs: [{ results: [
        { properties: { secret: "a", where: "env", layer: null, path: "Env[0]" } },
        { level: "warning", properties: { kind: "context-file", severity: "warning", secret: "a", path: ".env", dockerfile: null } },
      ] }],
    });
    expect(summaryFacts("sarif", sarif, "LEAK").rows).toEqual([{ secret: "a", where: "env", place: "Env[0]" }]);
  });

  test("an unreadable report still gives the verdict", () => {
    expect(summaryFacts("json", "{not json", "OK").rows).toEqual([]);
  });

  test("the verdict is the CLI's last verdict line, colours stripped", () => {
    expect(lastVerdict("log\n\u001b[32mOK: 3 secrets checked in 6 layers\u001b[0m\n")).toBe("OK: 3 secrets checked in 6 layers");
    expect(lastVerdict("no verdict here\n")).toBeUndefined();
  });
});
