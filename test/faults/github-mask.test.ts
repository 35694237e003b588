import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { repoRoot, runCli } from "../helpers/cli.js";
import { encodingsIn, encodingsOf, makeRecordingDocker, neutralEnv, randomSecret } from "./fault-kit.js";

const images = join(repoRoot, "test/fixtures/images");

describe("::add-mask:: under GITHUB_ACTIONS=true", () => {
  test("every value and variant announced on stderr before any other output; stdout a clean JSON report", async () => {
    const token = readFileSync(join(images, "TOKEN"));
    const other = randomSecret("sbfault-gha");
    const run = await runCli(["scan", join(images, "leaky.docker.tar"), "--secret", `t=${join(images, "TOKEN")}`, "--secret", "o=env:SBTEST_FAULT_GHA", "--format", "json"], {
      env: { ...neutralEnv, GITHUB_ACTIONS: "true", SBTEST_FAULT_GHA: other },
      secrets: [token, other],
    });
    expect(run.code).toBe(1);
    const lines = run.stderr.toString().split("\n").filter(Boolean);
    const firstOther = lines.findIndex((l) => !l.startsWith("::add-mask::"));
    const head = firstOther === -1 ? lines : lines.slice(0, firstOther);
    const rest = firstOther === -1 ? [] : lines.slice(firstOther);
    expect(head.length).toBeGreaterThan(0);
    expect(rest.filter((l) => l.startsWith("::add-mask::")).length, "add-mask lines after other output").toBe(0);
    const masks = new Set(head.map((l) => l.slice("::add-mask::".length)));
    for (const value of [token, Buffer.from(other)]) {
      for (const v of encodingsOf(value)) {
        // Workflow commands carry one printable line; the runner masks text.
        if (v.bytes.some((b) => b < 0x20 || b === 0x7f) || !v.bytes.toString("utf8").trim()) continue;
        // pieces of a hex dump are the scan's needles; in a log, fragments.ts masks dumps as they run
        if (v.encoding === "hex-dump") continue;
        expect(masks.has(v.bytes.toString("utf8").replace(/%/g, "%25")), `${v.encoding} announced`).toBe(true);
      }
    }
    // stdout: the report and nothing else, workflow commands included.
    expect(run.stdout.toString()).not.toContain("::add-mask::");
    const report = JSON.parse(run.stdout.toString()) as { schemaVersion: number; findings: unknown[] };
    expect(report.schemaVersion).toBe(1);
    expect(report.findings.length).toBeGreaterThan(0);
  });
});

describe("::add-mask:: before a build log", () => {
  test("announced before the first line of the build, the log itself masked", async () => {
    const fake = makeRecordingDocker();
    const work = mkdtempSync(join(tmpdir(), "sbtest-faults-gha-"));
    try {
      writeFileSync(join(work, "Dockerfile"), "FROM scratch\nRUN --mount=type=secret,id=tok true\n");
      const value = randomSecret("sbfault-ghabuild");
      const run = await runCli(["build", "--docker", fake.path, "--no-scan", "--secret", "tok=env:SBTEST_FAULT_GHA", work], {
        env: { ...neutralEnv, GITHUB_ACTIONS: "true", SBTEST_FAULT_GHA: value },
        secrets: [value],
      });
      expect(run.code, run.output).toBe(0);
      const lines = run.stderr.toString().split("\n").filter(Boolean);
      const masks = lines.filter((l) => l.startsWith("::add-mask::"));
      expect(masks.length).toBeGreaterThanOrEqual(5);
      expect(lines.slice(0, masks.length)).toEqual(masks);
      expect(lines.slice(masks.length).some((l) => l.startsWith("#1 "))).toBe(true);
      expect(encodingsIn(lines.slice(masks.length).join("\n"), value)).toEqual([]);
      expect(run.stdout.length).toBe(0);
    } finally {
      fake.cleanup();
      rmSync(work, { recursive: true, force: true });
    }
  });
});
