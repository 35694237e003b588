import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { docker, DOCKER, engineAnswers, removeImages, runCli, type CliRun } from "./cli.js";

/**
 * The repository being built plays the attacker (issue 17): its safebuild.yml runs a command on
 * the host, names a host file outside the repository, and turns the audit off; its Dockerfile
 * leaks a secret into the image and copies whatever host file it was given. Built the way
 * examples/ci/ builds (a trusted config from outside the checkout, run from outside it), none
 * of that works; given to --config with the matching --allow, all of it does.
 */
const hasEngine = engineAnswers();
const ws = mkdtempSync(join(tmpdir(), "trust-config-hostile-"));
const tags: string[] = [];
afterAll(() => {
  removeImages(tags);
  rmSync(ws, { recursive: true, force: true });
});

const known: string[] = [];
const token = (): string => {
  const value = `sbtok-${randomBytes(24).toString("base64url")}`;
  known.push(value);
  return value;
};
const tag = (): string => {
  const t = `trust-config-hostile-${randomBytes(5).toString("hex")}`;
  tags.push(t);
  return t;
};

const TOKEN = token();
const HOST_KEY = token();
const CMD_VALUE = token();
const src = join(ws, "src");
const hostDir = join(ws, "host");
const hostKey = join(hostDir, "id_rsa");
const marker = join(ws, "marker");
mkdirSync(join(src, ".git"), { recursive: true });
mkdirSync(join(ws, "trusted"));
mkdirSync(hostDir);
writeFileSync(hostKey, HOST_KEY);
writeFileSync(
  join(src, "Dockerfile"),
  [
    "FROM local/busybox:1",
    "RUN --mount=type=secret,id=token cp /run/secrets/token /leaked-token",
    "RUN --mount=type=secret,id=hostkey sh -c 'if [ -e /run/secrets/hostkey ]; then cp /run/secrets/hostkey /stolen; else echo none > /stolen; fi'",
    "RUN --mount=type=secret,id=marker true",
    "",
  ].join("\n"),
);
writeFileSync(
  join(src, "safebuild.yml"),
  [
    "secrets:",
    "  token: env:TRUST_TOKEN",
    `  marker: cmd:touch ${marker} && printf %s ${CMD_VALUE}`,
    `  hostkey: ${hostKey}`,
    "scan:",
    "  failOn: none",
    "",
  ].join("\n"),
);
writeFileSync(join(ws, "trusted/safebuild.yml"), "secrets:\n  token: env:TRUST_TOKEN\n");

interface Report {
  readonly secrets: { id: string }[];
  readonly findings: { secret: string; path: string }[];
}
const reportOf = (run: CliRun): Report => JSON.parse(run.stdout) as Report;
const imageFile = (image: string, path: string): string => docker(["run", "--rm", image, "cat", path]).stdout.trim();
const expectNoValues = (run: CliRun): void => {
  for (const value of known) expect(run.stdout + run.stderr).not.toContain(value);
};

describe.runIf(hasEngine)(`a hostile repository's safebuild.yml (${DOCKER})`, () => {
  const cli = (args: readonly string[], cwd: string) =>
    runCli([...args, "--docker", DOCKER], { cwd, env: { TRUST_TOKEN: TOKEN }, secrets: known });

  test("built as the CI examples build (--config from outside the checkout): no command, no host file, the leak fails (exit 1)", async () => {
    const image = tag();
    const run = await cli(["build", "--config", "trusted/safebuild.yml", "-t", image, "--no-cache", "--format", "json", "src"], ws);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain("safebuild: config: using --config trusted/safebuild.yml; not reading src/safebuild.yml\n");
    expect(existsSync(marker)).toBe(false);
    expect(reportOf(run).secrets.map((s) => s.id)).toEqual(["token"]);
    expect(reportOf(run).findings.some((f) => f.secret === "token" && f.path === "leaked-token")).toBe(true);
    expect(imageFile(image, "/stolen")).toBe("none");
    expectNoValues(run);
  });

  test("from outside the checkout with no config of its own: the context's file is ignored, one line says how to opt in", async () => {
    const image = tag();
    const run = await cli(["build", "--secret", "token=env:TRUST_TOKEN", "-t", image, "--no-cache", "src"], ws);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain(
      "safebuild: config: ignored src/safebuild.yml: a config in the build context is not used unless you opt in (--trust-context-config, or --config src/safebuild.yml)\n",
    );
    expect(existsSync(marker)).toBe(false);
    expect(imageFile(image, "/stolen")).toBe("none");
    expectNoValues(run);
  });

  test("`safebuild .` inside the checkout: exit 2, one line per entry naming the --allow; nothing runs, nothing is built", async () => {
    const image = tag();
    const run = await cli(["build", "-t", image, "."], src);
    expect(run.code, run.stderr).toBe(2);
    const lines = run.stderr.trim().split("\n");
    expect(lines).toEqual([
      expect.stringMatching(/^safebuild: warning: safebuild\.yml:5: the scan policy .* \(failOn: none\) is not applied/),
      expect.stringMatching(/^safebuild: safebuild\.yml:2: secret token reads the environment variable TRUST_TOKEN; .* only with --allow env=TRUST_TOKEN$/),
      expect.stringMatching(/^safebuild: safebuild\.yml:3: secret marker runs a command on this host \(cmd:\); .* only with --allow cmd$/),
      expect.stringMatching(new RegExp(`^safebuild: safebuild\\.yml:4: secret hostkey reads .*/id_rsa, outside the config's folder; .* only with --allow fs\\.read=/.*/id_rsa$`)),
    ]);
    expect(existsSync(marker)).toBe(false);
    expect(docker(["image", "inspect", image]).status).not.toBe(0);
    expectNoValues(run);
  });

  test("`safebuild .` with every source allowed but not the policy: the policy is not applied, one warning, the leak fails (exit 1)", async () => {
    const run = await cli(["build", "--allow", "env=TRUST_TOKEN", "--allow", `fs.read=${hostDir}`, "--allow", "cmd", "-t", tag(), "--no-cache", "."], src);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/^safebuild: warning: safebuild\.yml:5: the scan policy of a config inside the repository being built \(failOn: none\) is not applied: every finding fails the run; add --allow policy to apply it$/m);
    expect(existsSync(marker)).toBe(true);
    rmSync(marker);
    expectNoValues(run);
  });

  test("the same file given to --config with the --allow list: the command runs, the host file is mounted, the policy applies (exit 0)", async () => {
    const image = tag();
    const allow = ["--allow", "cmd", "--allow", "env=TRUST_TOKEN", "--allow", `fs.read=${hostDir}`, "--allow", "policy"];
    const run = await cli(["build", "--config", "src/safebuild.yml", ...allow, "-t", image, "--no-cache", "--format", "json", "src"], ws);
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(marker)).toBe(true);
    const report = reportOf(run);
    expect(report.secrets.map((s) => s.id)).toEqual(["token", "marker", "hostkey"]);
    expect(report.findings.some((f) => f.secret === "token" && f.path === "leaked-token")).toBe(true);
    expect(report.findings.some((f) => f.secret === "hostkey" && f.path === "stolen")).toBe(true);
    expect(imageFile(image, "/stolen")).toBe(HOST_KEY);
    expectNoValues(run);
  });
});
