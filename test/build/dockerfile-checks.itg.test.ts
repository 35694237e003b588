import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { docker, DOCKER, engineAnswers, removeImages, runCli } from "./cli.js";

// The checks before a build (docs/dockerfile-checks.md), through the real CLI; the builds run
// on the real engine, and a refused build must leave no image behind.
const hasEngine = engineAnswers();
const work = mkdtempSync(join(tmpdir(), "sbtest-dfchecks-"));
const tags: string[] = [];
afterAll(() => {
  removeImages(tags);
  rmSync(work, { recursive: true, force: true });
});
const TOKEN = `sbtok-${randomBytes(24).toString("base64url")}`;
const tag = (): string => {
  const t = `sbtest-dfcheck-${randomBytes(5).toString("hex")}`;
  tags.push(t);
  return t;
};
const imageExists = (t: string): boolean => docker(["image", "inspect", t]).status === 0;

function context(files: Record<string, string>): string {
  const dir = mkdtempSync(join(work, "ctx-"));
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  writeFileSync(join(dir, "token.txt"), TOKEN);
  return dir;
}
const cli = (args: readonly string[], cwd: string) => runCli([...args], { cwd, env: { TOKEN_ENV: TOKEN }, secrets: [TOKEN] });

describe("safebuild check: RUN --mount as BuildKit reads it", () => {
  test.each([
    ["a non-octal mode", "RUN --mount=type=secret,id=tok,mode=0999 true", "./Dockerfile:2: RUN --mount: invalid value 0999 for mode (BuildKit refuses this mount)"],
    ["source with id", "RUN --mount=type=secret,id=tok,src=tok true", "./Dockerfile:2: RUN --mount: both source and id can't be set"],
    ["a mistyped key", "RUN --mount=type=secret,id=tok,trget=/t true", "./Dockerfile:2: RUN --mount: unexpected key 'trget' in 'trget=/t' (did you mean target?)"],
    ["no id, source or target", "RUN --mount=type=secret,env=TOKEN true", "./Dockerfile:2: RUN --mount: invalid secret mount. one of source, target required"],
  ])("%s: exit 2 with the line and BuildKit's reason", async (_name, run, message) => {
    const dir = context({ Dockerfile: `FROM local/busybox:1\n${run}\n`, ".dockerignore": "token.txt\n" });
    const result = await cli(["check", "--secret", "tok=token.txt", "."], dir);
    expect(result.stderr).toContain(message);
    expect(result.code).toBe(2);
  });

  test("--build-arg and --target decide the ids and the stages checked", async () => {
    const dir = context({
      Dockerfile: "FROM local/busybox:1 AS one\nARG ID\nRUN --mount=type=secret,id=${ID},required true\nFROM local/busybox:1 AS two\nRUN --mount=type=secret,id=tok,mode=9 true\n",
      ".dockerignore": "token.txt\n",
    });
    const ok = await cli(["check", "--secret", "tok=token.txt", "--target", "one", "--build-arg", "ID=tok", "."], dir);
    expect(ok.stdout).toMatch(/^tok\s+file\s+\d+\s+[0-9a-f]{12}\s+\.\/Dockerfile:3$/m);
    expect(ok.code).toBe(0);
    const last = await cli(["check", "--secret", "tok=token.txt", "."], dir);
    expect(last.stderr).toContain("./Dockerfile:5: RUN --mount: invalid value 9 for mode");
    expect(last.code).toBe(2);
  });
});

describe("safebuild check: values before the build", () => {
  test("a build argument holding the token (base64): exit 2 naming the argument, never the value; JSON lists it", async () => {
    const dir = context({ Dockerfile: "FROM local/busybox:1\nARG CRED\nRUN --mount=type=secret,id=tok true\n", ".dockerignore": "token.txt\n" });
    const run = await cli(["check", "--secret", "tok=token.txt", "--build-arg", `CRED=${Buffer.from(TOKEN).toString("base64")}`, "--format", "json", "."], dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--build-arg CRED holds secret "tok" (base64)');
    const report = JSON.parse(run.stdout) as { ok: boolean; findings: { kind: string; severity: string; secret: string; path: string }[] };
    expect(report.ok).toBe(false);
    expect(report.findings.filter((f) => f.severity !== "note")).toEqual([expect.objectContaining({ kind: "build-arg", severity: "error", secret: "tok", path: "CRED" })]);
  });
});

describe.runIf(hasEngine)(`safebuild build: refused before the builder starts (${DOCKER})`, () => {
  test("a build argument holding the token: exit 2, nothing built", async () => {
    const dir = context({ Dockerfile: "FROM local/busybox:1\nARG CRED\nRUN --mount=type=secret,id=tok true\n", ".dockerignore": "token.txt\n" });
    const image = tag();
    const run = await cli(["build", "--docker", DOCKER, "--secret", "tok=token.txt", "--build-arg", `CRED=${TOKEN}`, "-t", image, "."], dir);
    expect(run.stderr).toContain('--build-arg CRED holds secret "tok" (raw)');
    expect(run.stderr).not.toContain("building with");
    expect(run.code).toBe(2);
    expect(imageExists(image)).toBe(false);
  });

  test("an un-ignored .npmrc with COPY . .: refused on the COPY line; listed in .dockerignore, the build runs clean", async () => {
    const files = { Dockerfile: "FROM local/busybox:1\nWORKDIR /app\nCOPY . .\nRUN --mount=type=secret,id=tok test -s /run/secrets/tok\n", ".npmrc": "//npm.example/:_authToken=abc123\n" };
    const dir = context({ ...files, ".dockerignore": "token.txt\n" });
    const image = tag();
    const refused = await cli(["build", "--docker", DOCKER, "--secret", "tok=token.txt", "-t", image, "."], dir);
    expect(refused.stderr).toContain("build context: .npmrc is an npm credential file: taken into the image by COPY at ./Dockerfile:3");
    expect(refused.code).toBe(2);
    expect(imageExists(image)).toBe(false);

    writeFileSync(join(dir, ".dockerignore"), "token.txt\n.npmrc\n");
    const built = await cli(["build", "--docker", DOCKER, "--secret", "tok=token.txt", "-t", image, "."], dir);
    expect(built.stderr).not.toContain(".npmrc is");
    expect(built.code).toBe(0);
    expect(docker(["run", "--rm", image, "ls", "-a", "/app"]).stdout).not.toContain(".npmrc");
  });

  test("a RUN --mount BuildKit would refuse: exit 2 before the builder starts", async () => {
    const dir = context({ Dockerfile: "FROM local/busybox:1\nRUN --mount=required,type=secret,id=tok true\n", ".dockerignore": "token.txt\n" });
    const run = await cli(["build", "--docker", DOCKER, "--secret", "tok=token.txt", "-t", tag(), "."], dir);
    expect(run.stderr).toContain("./Dockerfile:2: RUN --mount: unexpected key 'required' for mount type 'bind'");
    expect(run.stderr).not.toContain("building with");
    expect(run.code).toBe(2);
  });
});

describe.runIf(hasEngine)(`findings point at the Dockerfile line (${DOCKER})`, () => {
  test("examples/leaky: the leak names examples/leaky/Dockerfile:7 in text, JSON and SARIF", async () => {
    const dir = mkdtempSync(join(work, "leaky-"));
    writeFileSync(join(dir, "npmrc"), `//npm.example/:_authToken=${TOKEN}\n`);
    const image = tag();
    const repo = join(import.meta.dirname, "../..");
    // BuildKit does not key its cache on secret values, and other builds of examples/leaky share the engine: no cache.
    const build = (format: string) =>
      runCli(["build", "--docker", DOCKER, "--secret", `npmrc=${join(dir, "npmrc")}`, "-t", image, "--format", format, "--no-cache", "examples/leaky"], { cwd: repo, secrets: [TOKEN] });
    const text = await build("text");
    expect(text.code).toBe(1);
    expect(text.stderr).toMatch(/layer 2 sha256:[0-9a-f]{12} {2}examples\/leaky\/Dockerfile:7 {2}RUN /);

    const json = await build("json");
    const report = JSON.parse(json.stdout) as { findings: { path: string; dockerfile?: { path: string; line: number } }[] };
    expect(report.findings.map((f) => [f.path, f.dockerfile])).toEqual([["app/.npmrc-backup", { path: "examples/leaky/Dockerfile", line: 7 }]]);

    const sarif = await build("sarif");
    const log = JSON.parse(sarif.stdout) as { version: string; runs: { results: { locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[] }[] };
    expect(log.version).toBe("2.1.0");
    const location = log.runs[0]?.results[0]?.locations[0]?.physicalLocation;
    // SARIF 2.1.0: region.startLine is an integer >= 1; artifactLocation.uri a relative URI reference.
    expect(location).toEqual({ artifactLocation: { uri: "examples/leaky/Dockerfile" }, region: { startLine: 7 } });

    // Cold: `scan --file` maps the same layer to the same line.
    const cold = await runCli(["scan", "--secret", `npmrc=${join(dir, "npmrc")}`, "--file", "examples/leaky/Dockerfile", "--format", "json", image], { cwd: repo, secrets: [TOKEN] });
    const coldReport = JSON.parse(cold.stdout) as { findings: { dockerfile?: { path: string; line: number } }[] };
    expect(coldReport.findings.map((f) => f.dockerfile)).toEqual([{ path: "examples/leaky/Dockerfile", line: 7 }]);
  });
});

// The checks before a build in the build's own json and sarif reports (docs/dockerfile-checks.md,
// "In the build's reports"): refused or not, CI gets every finding on its Dockerfile line.
// runCli validates each SARIF report against the official 2.1.0 schema (test/helpers/sarif-schema.ts).
const buildCli = (args: readonly string[], cwd: string) => cli(["build", "--docker", DOCKER, "--secret", "tok=token.txt", ...args], cwd);
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
    const json = await buildCli(["--build-arg", `API_TOKEN=${Buffer.from(TOKEN).toString("hex")}`, "-t", image, "--format", "json", "."], dir);
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
    const sarif = await buildCli(["--build-arg", `API_TOKEN=${TOKEN}`, "-t", image, "--format", "sarif", "--report", file, "."], dir);
    expect(sarif.code).toBe(2);
    expect(sarif.stdout.length).toBe(0);
    expect(placed(JSON.parse(readFileSync(file, "utf8")) as Sarif)).toEqual([
      ["secret-mount", "error", "Dockerfile", 4],
      ["secret-in-build-arg", "error", "Dockerfile", 1],
      ["secret-like-arg-name", "note", "Dockerfile", 2],
      ["secret-in-dockerfile", "error", "Dockerfile", 3],
    ]);
  });

  test("refused before the builder: a literal ENV named like a secret, no --secret holding it (the pattern rules judge it); --no-rules builds", async () => {
    const password = `Pw-${randomBytes(12).toString("base64url")}`;
    const dir = context({ Dockerfile: `FROM local/busybox:1\nENV NODE_ENV=production\nENV DB_PASSWORD="${password}"\n`, ".dockerignore": "token.txt\n" });
    const image = tag();
    const json = await runCli(["build", "--docker", DOCKER, "-t", image, "--format", "json", "."], { cwd: dir, secrets: [password] });
    expect(json.code, json.stderr.toString()).toBe(2);
    expect(imageExists(image)).toBe(false);
    expect(json.stderr.toString()).toContain("./Dockerfile:3: ENV DB_PASSWORD assigns a literal value named like a secret (rule env-secret, Pw…");
    const report = JSON.parse(json.stdout.toString()) as Report;
    expect(report.prechecks.findings.map((f) => [f.kind, f.severity, f.secret, f.dockerfile])).toEqual([["dockerfile-setting", "error", null, { path: "./Dockerfile", line: 3 }]]);
    const sarif = await runCli(["build", "--docker", DOCKER, "-t", image, "--format", "sarif", "."], { cwd: dir, secrets: [password] });
    expect(placed(JSON.parse(sarif.stdout.toString()) as Sarif)).toEqual([["secret-setting-in-dockerfile", "error", "Dockerfile", 3]]);
    // `safebuild check` makes the same judgement before any build, and --no-rules there too turns it off
    const check = await runCli(["check", "--format", "json", "."], { cwd: dir, secrets: [password] });
    expect(check.code, check.stderr.toString()).toBe(2);
    expect(check.stderr.toString()).toContain("./Dockerfile:3: ENV DB_PASSWORD assigns a literal value named like a secret (rule env-secret, Pw…");
    const checked = JSON.parse(check.stdout.toString()) as { ok: boolean; findings: Report["prechecks"]["findings"] };
    expect([checked.ok, checked.findings.map((f) => [f.kind, f.severity, f.secret, f.dockerfile])]).toEqual([false, [["dockerfile-setting", "error", null, { path: "./Dockerfile", line: 3 }]]]);
    const unjudged = await runCli(["check", "--no-rules", "."], { cwd: dir, secrets: [password] });
    expect(unjudged.code, unjudged.stderr.toString()).toBe(0);
    // without pattern rules nothing judges a name: the build runs (and a scan with no secret and no rules has nothing to look for)
    const plain = await runCli(["build", "--docker", DOCKER, "--no-rules", "--no-scan", "-t", image, "."], { cwd: dir, secrets: [password] });
    expect(plain.code, plain.stderr.toString()).toBe(0);
    expect(imageExists(image)).toBe(true);
  });

  test("built: a build argument the history records is a finding at the Dockerfile line of the RUN that recorded it, and an ENV's at its own line", async () => {
    const apiToken = randomBytes(18).toString("base64url");
    const dir = context({ Dockerfile: "FROM local/busybox:1\nARG API_TOKEN\nENV NODE_ENV=production\nRUN echo building > /built\nENV SERVICE_PASSWORD=${API_TOKEN}\n", ".dockerignore": "token.txt\n" });
    const image = tag();
    const run = await runCli(["build", "--docker", DOCKER, "--no-cache", "-t", image, "--build-arg", `API_TOKEN=${apiToken}`, "--format", "json", "."], { cwd: dir, secrets: [apiToken] });
    expect(run.code, run.stderr.toString()).toBe(1);
    const findings = (JSON.parse(run.stdout.toString()) as { findings: { rule: string | null; where: string; dockerfile?: { path: string; line: number } }[] }).findings;
    const history = findings.filter((f) => f.where === "history").map((f) => [f.rule, f.dockerfile?.line ?? null]);
    expect(history).toEqual(expect.arrayContaining([["env-secret", 4], ["env-secret", 5]]));
    expect(`${run.stdout.toString()}${run.stderr.toString()}`).not.toContain(apiToken);
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
    const json = await buildCli(["--config", config, "-t", image, "--format", "json", "."], dir);
    expect(json.code, json.stderr.toString()).toBe(0);
    const report = JSON.parse(json.stdout.toString()) as Report;
    expect(report.image.id).toMatch(/^sha256:/);
    expect(report.prechecks.passed).toBe(true);
    expect(report.prechecks.findings.map((f) => [f.kind, f.severity, f.secret, f.path, f.dockerfile])).toEqual([
      ["arg-name", "note", null, "DB_PASSWORD", { path: "./Dockerfile", line: 2 }],
      ["context-file", "warning", "tok", ".env", null],
    ]);
    expect(report.prechecks.accepted.map((f) => [f.kind, f.severity, f.path, f.dockerfile, f.reason])).toEqual([["context-file", "error", ".env.test", { path: "./Dockerfile", line: 3 }, "a dummy the tests need"]]);

    const sarif = await buildCli(["--config", config, "-t", image, "--format", "sarif", "."], dir);
    expect(sarif.code).toBe(0);
    expect(placed(JSON.parse(sarif.stdout.toString()) as Sarif)).toEqual([
      ["secret-like-arg-name", "note", "Dockerfile", 2],
      ["secret-in-build-context", "warning", ".env", 1],
      ["secret-in-build-context", "error", "Dockerfile", 3],
    ]);
  });
});
