import { describe, expect, test } from "vitest";
import { DOCKER, engineAnswers, runCli } from "./cli.js";

// Issue 18: a secret whose value is a common word must not garble safebuild's own text.
// Values of 4 to 7 bytes are masked in output but too short to scan: the warning names the id,
// and the run is INCOMPLETE (exit 2: the secret was searched nowhere), never OK.
const hasEngine = engineAnswers();
const IMAGE = "local/busybox:1";

describe.runIf(hasEngine)(`a secret that is a common word (${DOCKER})`, () => {
  const scan = (value: string, extra: readonly string[] = []) =>
    runCli(["scan", IMAGE, "--secret", "tok=env:SBTEST_WORD", ...extra], { env: { SBTEST_WORD: value, SAFEBUILD_DOCKER: DOCKER }, secrets: [value] });

  test('"than": the too-short warning and the verdict read as written', async () => {
    const run = await scan("than");
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain('safebuild: warning: secret "tok" is shorter than 8 bytes: not scanned');
    expect(run.stderr).toContain("INCOMPLETE: no secret found in what was read, but 1 secret is shorter than 8 bytes and searched nowhere");
    expect(run.stderr).not.toContain("***");
  }, 120_000);

  test('"layer": the text report and the JSON report keep their words and keys', async () => {
    const text = await scan("layer");
    expect(text.code, text.stderr).toBe(2);
    expect(text.stderr).toMatch(/0 secrets (?:and \d+ pattern rules )?checked, \d+ layers?, /);
    expect(text.stderr).not.toContain("***");
    const json = await scan("layer", ["--format", "json"]);
    expect(json.code, json.stderr).toBe(2);
    const report = JSON.parse(json.stdout) as { stats: { layers: number }; secrets: { id: string }[] };
    expect(report.stats.layers).toBeGreaterThan(0);
    expect(report.secrets[0]?.id).toBe("tok");
  }, 120_000);

  test("the id is data: a secret whose value is its own id is masked where the id is printed", async () => {
    const run = await runCli(["scan", IMAGE, "--secret", "than=env:SBTEST_WORD"], { env: { SBTEST_WORD: "than", SAFEBUILD_DOCKER: DOCKER }, secrets: ["than"] });
    expect(run.stderr).toContain('safebuild: warning: secret "***" is shorter than 8 bytes: not scanned');
  }, 120_000);
});
