import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { afterAll, describe, expect, test } from "vitest";
import { engineAnswers, removeImages } from "../build/cli.js";
import { recordRun, repoRoot } from "../helpers/cli.js";
import { registryAvailable, startRegistry } from "../helpers/registry.js";

// action.yml's steps run as a GitHub runner runs a composite action: `${{ inputs.X }}` and
// `${{ github.action_path }}` substituted, INPUT_* from the step's env, GITHUB_OUTPUT and
// GITHUB_STEP_SUMMARY files, the workspace as the working directory. Real engine, real CLI.
const hasEngine = engineAnswers();
const work = mkdtempSync(join(tmpdir(), "sbtest-action-"));
const tags: string[] = [];
afterAll(() => {
  removeImages(tags);
  rmSync(work, { recursive: true, force: true });
});

interface Step {
  readonly run: string;
  readonly env?: Record<string, string>;
  readonly "working-directory"?: string;
}
interface Action {
  readonly inputs: Record<string, { readonly default?: string }>;
  readonly runs: { readonly using: string; readonly steps: readonly Step[] };
}
const action = parse(readFileSync(join(repoRoot, "action.yml"), "utf8")) as Action;

function runAction(inputs: Record<string, string>, env: Record<string, string>, secrets: readonly string[]) {
  const workspace = mkdtempSync(join(work, "ws-"));
  const output = join(workspace, "github-output");
  const summary = join(workspace, "step-summary");
  writeFileSync(output, "");
  writeFileSync(summary, "");
  const value = (name: string): string => inputs[name] ?? action.inputs[name]?.default ?? "";
  const expand = (text: string): string =>
    text.replace(/\$\{\{\s*inputs\.([\w-]+)\s*\}\}/g, (_m, name: string) => value(name)).replace(/\$\{\{\s*github\.action_path\s*\}\}/g, repoRoot);
  let last = { status: 0 as number | null, stdout: "", stderr: "" };
  for (const step of action.runs.steps) {
    const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expand(v)]));
    const r = spawnSync("bash", ["-e", "-c", expand(step.run)], {
      cwd: step["working-directory"] === undefined ? workspace : expand(step["working-directory"]),
      env: {
        PATH: process.env["PATH"],
        HOME: process.env["HOME"],
        SAFEBUILD_DOCKER: process.env["SAFEBUILD_DOCKER"] ?? "/usr/bin/docker",
        SAFEBUILD_CACHE_DIR: "",
        GITHUB_ACTIONS: "true",
        GITHUB_ACTION_PATH: repoRoot,
        GITHUB_WORKSPACE: workspace,
        GITHUB_OUTPUT: output,
        GITHUB_STEP_SUMMARY: summary,
        RUNNER_TEMP: work,
        ...env,
        ...stepEnv,
      },
      encoding: "utf8",
      timeout: 240_000,
    });
    recordRun(["action.yml", step.run], Buffer.from(r.stdout), Buffer.from(r.stderr), secrets);
    last = { status: r.status, stdout: r.stdout, stderr: r.stderr };
    if (r.status !== 0) break;
  }
  const outputs = Object.fromEntries(
    readFileSync(output, "utf8")
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  return { ...last, outputs, summary: readFileSync(summary, "utf8"), workspace };
}

const npmrc = (): { text: string; token: string } => {
  const token = `npm_${randomBytes(18).toString("base64url")}`;
  return { text: `//registry.npmjs.org/:_authToken=${token}\n`, token };
};

describe.runIf(hasEngine || process.env["CI"] === "true")("the GitHub Action (action.yml) as a runner runs it", () => {
  test("a composite action whose inputs all reach the step", () => {
    expect(action.runs.using).toBe("composite");
    const env = action.runs.steps.at(-1)?.env ?? {};
    for (const name of Object.keys(action.inputs)) expect(env[`INPUT_${name.toUpperCase()}`]).toBe(`\${{ inputs.${name} }}`);
  });

  test("a clean build: exit 0, imageid and report outputs, a summary that says OK, values masked", () => {
    const { text, token } = npmrc();
    const tag = `sbtest-action-${randomBytes(4).toString("hex")}`;
    tags.push(tag);
    const run = runAction(
      { context: join(repoRoot, "examples/private-npm"), secrets: "npmrc=env:SB_ACTION_NPMRC", tags: tag, "build-args": "BASE=local/busybox:1", format: "json", output: "report.json" },
      { SB_ACTION_NPMRC: text },
      [text, token],
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.outputs["imageid"]).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(run.outputs["report"]).toBe("report.json");
    expect(JSON.parse(readFileSync(join(run.workspace, "report.json"), "utf8"))).toMatchObject({ findings: [] });
    expect(run.summary).toMatch(/^### safebuild: OK: 1 secret and \d+ pattern rules checked in \d+ layers/);
    expect(run.summary).toContain("Secrets checked: `npmrc`");
    expect(run.stderr).toContain("::add-mask::");
    for (const out of [run.stdout, run.summary, JSON.stringify(run.outputs)]) expect(out).not.toContain(token);
  });

  test.runIf(registryAvailable())("push: true: a clean image lands in the registry and the digest output is the registry's", async () => {
    const registry = await startRegistry();
    try {
      const { text, token } = npmrc();
      const repo = `sbtest/action-${randomBytes(4).toString("hex")}`;
      const tag = `${registry.host}/${repo}:1`;
      tags.push(tag);
      const run = runAction(
        { context: join(repoRoot, "examples/private-npm"), secrets: "npmrc=env:SB_ACTION_NPMRC", tags: tag, "build-args": "BASE=local/busybox:1", push: "true" },
        { SB_ACTION_NPMRC: text },
        [text, token],
      );
      expect(run.status, run.stderr).toBe(0);
      const head = await fetch(`http://${registry.host}/v2/${repo}/manifests/1`, { method: "HEAD", headers: { Accept: "application/vnd.docker.distribution.manifest.v2+json" } });
      expect(run.outputs["digest"]).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(run.outputs["digest"]).toBe(head.headers.get("docker-content-digest"));
    } finally {
      await registry.stop();
    }
  });

  test("a leaky build: exit 1, the SARIF report written, the summary names the id and the place, never the value", () => {
    const { text, token } = npmrc();
    const run = runAction(
      { context: join(repoRoot, "examples/leaky"), secrets: "npmrc=env:SB_ACTION_NPMRC", "build-args": "BASE=local/busybox:1", "no-cache": "true" },
      { SB_ACTION_NPMRC: text },
      [text, token],
    );
    expect(run.status).toBe(1);
    expect(run.outputs["report"]).toBe("safebuild-report.sarif");
    const sarif = JSON.parse(readFileSync(join(run.workspace, "safebuild-report.sarif"), "utf8")) as { runs: { results: unknown[] }[] };
    expect(sarif.runs[0]?.results.length).toBeGreaterThan(0);
    expect(run.summary).toMatch(/^### safebuild: LEAK: /);
    expect(run.summary).toMatch(/\| npmrc \| file \| layer \d+: app/);
    for (const out of [run.stdout, run.summary, JSON.stringify(run.outputs), readFileSync(join(run.workspace, "safebuild-report.sarif"), "utf8")]) {
      expect(out).not.toContain(token);
    }
  });

  test("bad input: one ::error line naming the input, exit 2, nothing built", () => {
    const run = runAction({ format: "html" }, {}, []);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^::error title=safebuild::input format: expected one of text, json, sarif, got "html"$/m);
  });
});
