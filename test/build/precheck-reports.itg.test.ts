import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { docker, DOCKER, engineAnswers, removeImages, runCli } from "./cli.js";

// The checks before a build in the build's own json and sarif reports (docs/dockerfile-checks.md,
// "In the build's reports"): refused or not, CI gets every finding on its Dockerfile line.
// runCli validates each SARIF report against the official 2.1.0 schema (test/helpers/sarif-schema.ts).
const hasEngine = engineAnswers();
const work = mkdtempSync(join(tmpdir(), "sbtest-prereports-"));
const tags: string[] = [];
afterAll(() => {
  removeImages(tags);
  rmSync(work, { recursive: true, force: true });
});
const TOKEN = `sbtok-${randomBytes(24).toString("base64url")}`;
const tag = (): string => {
  const t = `sbtest-prereport-${randomBytes(5).toString("hex")}`;
  tags.push(t);
  return t;
};

function context(files: Record<string, string>): string {
  const dir = mkdtempSync(join(work, "ctx-"));
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  writeFileSync(join(dir, "token.txt"), TOKEN);
  return dir;
}
const cli = (args: readonly string[], cwd: string) => runCli(["build", "--docker", DOCKER, "--secret", "tok=token.txt", ...args], { cwd, secrets: [TOKEN] });

interface Check {
  kind: string;
  severity: string;
  secret: string | null;
  path: string;
  dockerfile: { path: string; line: number } | null;
}
interface Report {
  image: { ref: string | null; id: string | null };
  findings: unknown[];
  prechecks: { passed: boolean; findings: Check[]; accepted: (Check & { reason: string })[] };
}
type Sarif = { runs: { results: { ruleId: string; level: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[] }[] };
const placed = (log: Sarif) => (log.runs[0]?.results ?? []).map((r) => [r.ruleId, r.level, r.locations[0]?.physicalLocation.artifactLocation.uri, r.locations[0]?.physicalLocation.region.startLine]);

describe.runIf(hasEngine)(`build --format json|sarif: the checks before the build in the report (${DOCKER})`, () => {
  test("refused (a mount BuildKit refuses, a build arg and an ENV holding the token): exit 2, nothing built, the report lists each on its line", async () => {
    const dir = context({
      Dockerfile: `FROM local/busybox:1\nARG API_TOKEN\nENV KEY=${TOKEN}\nRUN --mount=type=secret,id=tok,mode=0999 true\n`,
      ".dockerignore": "token.txt\n",
    });
    const image = tag();
    const json = await cli(["--build-arg", `API_TOKEN=${Buffer.from(TOKEN).toString("hex")}`, "-t", image, "--format", "json", "."], dir);
    expect(json.code).toBe(2);
    expect(json.stderr.toString()).toContain("./Dockerfile:4: RUN --mount: invalid value 0999 for mode (BuildKit refuses this mount)");
    expect(json.stderr.toString()).not.toContain("building with");
    expect(docker(["image", "inspect", image]).status).not.toBe(0);
    const report = JSON.parse(json.stdout.toString()) as Report;
    expect(report.image).toEqual({ ref: image, id: null });
    expect(report.findings).toEqual([]);
    expect(report.prechecks.passed).toBe(false);
    expect(report.prechecks.findings.map((f) => [f.kind, f.severity, f.secret, f.path, f.dockerfile])).toEqual([
      ["secret-mount", "error", null, "./Dockerfile", { path: "./Dockerfile", line: 4 }],
      ["build-arg", "error", "tok", "API_TOKEN", null],
      ["arg-name", "note", null, "API_TOKEN", { path: "./Dockerfile", line: 2 }],
      ["dockerfile-value", "error", "tok", "./Dockerfile", { path: "./Dockerfile", line: 3 }],
    ]);

    const file = join(dir, "out.sarif");
    const sarif = await cli(["--build-arg", `API_TOKEN=${TOKEN}`, "-t", image, "--format", "sarif", "--report", file, "."], dir);
    expect(sarif.code).toBe(2);
    expect(sarif.stdout.length).toBe(0);
    expect(placed(JSON.parse(readFileSync(file, "utf8")) as Sarif)).toEqual([
      ["secret-mount", "error", "Dockerfile", 4],
      ["secret-in-build-arg", "error", "Dockerfile", 1],
      ["secret-like-arg-name", "note", "Dockerfile", 2],
      ["secret-in-dockerfile", "error", "Dockerfile", 3],
    ]);
  });

  test("built: a warning (a .env nothing copies), a note and an accepted finding ride along with the image's findings", async () => {
    const dir = context({
      Dockerfile: "FROM local/busybox:1\nARG DB_PASSWORD=none\nCOPY .env.test /app/\nRUN --mount=type=secret,id=tok test -s /run/secrets/tok\n",
      ".dockerignore": "token.txt\n",
      ".env": `TOKEN=${TOKEN}\n`,
      ".env.test": "A=1\n",
    });
    // the operator's config, outside the context
    const config = join(mkdtempSync(join(work, "cfg-")), "safebuild.yml");
    writeFileSync(config, "scan:\n  ignore:\n    - path: .env.test\n      reason: a dummy the tests need\n");
    const image = tag();
    const json = await cli(["--config", config, "-t", image, "--format", "json", "."], dir);
    expect(json.code, json.stderr.toString()).toBe(0);
    const report = JSON.parse(json.stdout.toString()) as Report;
    expect(report.image.id).toMatch(/^sha256:/);
    expect(report.prechecks.passed).toBe(true);
    expect(report.prechecks.findings.map((f) => [f.kind, f.severity, f.secret, f.path, f.dockerfile])).toEqual([
      ["arg-name", "note", null, "DB_PASSWORD", { path: "./Dockerfile", line: 2 }],
      ["context-file", "warning", "tok", ".env", null],
    ]);
    expect(report.prechecks.accepted.map((f) => [f.kind, f.severity, f.path, f.dockerfile, f.reason])).toEqual([["context-file", "error", ".env.test", { path: "./Dockerfile", line: 3 }, "a dummy the tests need"]]);

    const sarif = await cli(["--config", config, "-t", image, "--format", "sarif", "."], dir);
    expect(sarif.code).toBe(0);
    expect(placed(JSON.parse(sarif.stdout.toString()) as Sarif)).toEqual([
      ["secret-like-arg-name", "note", "Dockerfile", 2],
      ["secret-in-build-context", "warning", ".env", 1],
      ["secret-in-build-context", "error", "Dockerfile", 3],
    ]);
  });
});
