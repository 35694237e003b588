import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { peerSuitesRun } from "../helpers/peer-cases.js";
import { assertBuilt, peerImages, runCli } from "./scan-cli-run.js";

let dir: string;
let secretFile: string;
const value = randomBytes(24).toString("base64url");

beforeAll(async () => {
  assertBuilt();
  dir = await mkdtemp(path.join(os.tmpdir(), "sbtest-scancli-"));
  secretFile = path.join(dir, "s1");
  await writeFile(secretFile, value, { mode: 0o600 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const oneLine = (text: string): string[] => text.split("\n").filter((l) => l !== "");

describe("safebuild scan: argument errors (exit 2, one line, no value)", () => {
  test.each([
    ["no --secret and --no-rules", () => ["scan", "app:1", "--no-rules"], /^safebuild: scan with --no-rules needs at least one --secret/],
    ["a rules file that is not there", () => ["scan", "app:1", "--rules", "no-such-rules.toml"], /no-such-rules\.toml: cannot read the rules file/],
    ["bad --format", () => ["scan", "app:1", "--secret", `s1=${secretFile}`, "--format", "bogus"], /'bogus' is invalid/],
    ["bad spec", () => ["scan", "app:1", "--secret", "no-equals-sign"], /^safebuild: --secret/],
    ["missing secret file", () => ["scan", "app:1", "--secret", `s1=${dir}/nope`], /s1/],
    ["no image argument", () => ["scan", "--secret", `s1=${secretFile}`], /missing required argument/],
    ["missing tarball, relative", () => ["scan", "sbtest-missing.tar", "--secret", `s1=${secretFile}`], /sbtest-missing\.tar/],
    ["missing tarball, absolute", () => ["scan", `${dir}/missing.tar`, "--secret", `s1=${secretFile}`], /missing\.tar/],
    ["missing tarball, forced kind", () => ["scan", `docker-archive:${dir}/missing.tar`, "--secret", `s1=${secretFile}`], /missing\.tar/],
    ["not an image", () => ["scan", secretFile, "--secret", `s1=${secretFile}`], /s1/],
  ] as [string, () => string[], RegExp][])("%s", async (_name, args, message) => {
    const run = await runCli(args(), { cwd: dir, secrets: [value] });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(oneLine(run.stderr)).toHaveLength(1);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stderr + run.stdout).not.toContain(value);
  });
});

describe.skipIf(!peerSuitesRun("scan-cli: peer image"))("safebuild scan: a peer image (hello-world, Docker 25 docker-archive)", () => {
  const image = path.join(peerImages, "hello-world-v25.tar");

  test("the needle is found: exit 1, json finding in layer 0 file hello", async () => {
    const run = await runCli(["scan", image, "--secret", "hello=env:SB_HELLO", "--format", "json"], {
      env: { SB_HELLO: "Hello from Docker!" },
      secrets: ["Hello from Docker!"],
    });
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as { findings: Record<string, unknown>[]; secrets: unknown };
    expect(report.secrets).toEqual([{ id: "hello", source: "env" }]);
    expect(report.findings).toContainEqual(
      expect.objectContaining({ secret: "hello", where: "file", layer: expect.objectContaining({ index: 0 }), path: "hello", deleted: false }),
    );
    // the report is on stdout; stderr still says why the job failed (issue 18)
    expect(run.stderr).toBe("LEAK: 1 finding of hello (layer 0 hello)\n");
  });

  test.each(["text", "json", "sarif"])("a random value is not found: exit 0 (%s), value never printed", async (format) => {
    const run = await runCli(["scan", image, "--secret", `s1=${secretFile}`, "--format", format], { secrets: [value] });
    expect(run.code).toBe(0);
    expect(run.stdout + run.stderr).not.toContain(value);
    if (format === "text") {
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(/\nOK: 1 secret and \d+ pattern rules checked in 1 layer\n$/);
    } else {
      expect(JSON.parse(run.stdout)).toBeTruthy();
      expect(run.stderr).toMatch(/^OK: 1 secret and \d+ pattern rules checked in 1 layer\n$/);
    }
  });

  test.each(["--report", "--output"])("%s writes the sarif report to a file, nothing on stdout, the verdict on stderr", async (flag) => {
    const out = path.join(dir, "report.sarif");
    await rm(out, { force: true });
    const run = await runCli(["scan", image, "--secret", "hello=env:SB_HELLO", "--format", "sarif", flag, out], {
      env: { SB_HELLO: "Hello from Docker!" },
      secrets: ["Hello from Docker!"],
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    // The CI example's form: a leak must never be silent on stderr (issue 18).
    expect(run.stderr).toBe(`LEAK: 1 finding of hello (layer 0 hello); report in ${out}\n`);
    const sarif = JSON.parse(await readFile(out, "utf8")) as { runs: { results: { ruleId: string; message: { text: string } }[] }[] };
    expect(sarif.runs[0]?.results[0]?.ruleId).toBe("secret-in-file");
    expect(sarif.runs[0]?.results[0]?.message.text).not.toContain("Hello from Docker!");
  });

  test("text report: headline, finding, verdict and hint on stderr", async () => {
    const run = await runCli(["scan", image, "--secret", "hello=env:SB_HELLO"], {
      env: { SB_HELLO: "Hello from Docker!" },
      secrets: ["Hello from Docker!"],
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^Scanned .*hello-world-v25\.tar \(sha256:[0-9a-f]{12}\): 1 secret and \d+ pattern rules checked, 1 layer, 1 file/);
    expect(run.stderr).toContain("LEAK hello [raw] in file contents: hello");
    expect(run.stderr).toContain("layer 0 sha256:");
    expect(run.stderr).toMatch(/\nLEAK: 1 finding of hello \(layer 0 hello\)\n$/);
    expect(run.stderr).toContain("RUN --mount=type=secret");
  });

  test("--report and --output naming two files is a usage error", async () => {
    const run = await runCli(["scan", image, "--secret", `s1=${secretFile}`, "--report", "a.json", "--output", "b.json"], { cwd: dir, secrets: [value] });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("safebuild: --report a.json and --output b.json name two report files; give one of them\n");
  });
});
