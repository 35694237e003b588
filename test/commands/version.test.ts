import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { repoRoot, runCli } from "../helpers/cli.js";

// The bin is a bundle whose chunks sit deeper than tsc's dist/cli.js: both must still find
// our own package.json for --version and for the reports' `tool.version`.
const { version } = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { version: string };

describe("the version safebuild reports", () => {
  test("--version prints package.json's version", async () => {
    const run = await runCli(["--version"]);
    expect(run.code).toBe(0);
    expect(run.stdout.toString()).toBe(`${version}\n`);
  });

  test("a JSON report names the same version", async () => {
    const run = await runCli(["scan", path.join(repoRoot, "test/fixtures/images/clean.docker.tar"), "--secret", "s=env:SBTEST_VERSION_SECRET", "--format", "json"], {
      env: { SBTEST_VERSION_SECRET: "sbtest-version-0123456789" },
      secrets: ["sbtest-version-0123456789"],
    });
    expect(run.code, run.stderr.toString()).toBe(0);
    expect((JSON.parse(run.stdout.toString()) as { tool: unknown }).tool).toEqual({ name: "safebuild", version });
  });
});
