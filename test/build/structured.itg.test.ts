import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import * as s from "../match/structured/samples.js";
import { DOCKER, engineAnswers, removeImages, runCli } from "./cli.js";

// The false-positive check of issue 13 through the real CLI and engine: the examples and a
// small image full of templates, scanned with realistic structured secrets, report nothing;
// a build that copies only the token out of an .npmrc is caught.
const hasEngine = engineAnswers();
const work = mkdtempSync(join(tmpdir(), "structured-sbtest-"));
const tags: string[] = [];
afterAll(() => {
  removeImages(tags);
  rmSync(work, { recursive: true, force: true });
});
const tag = (): string => {
  const t = `structured-sbtest-${randomBytes(5).toString("hex")}`;
  tags.push(t);
  return t;
};

const token = `npm_${randomBytes(27).toString("base64url")}`;
const values = {
  npmrc: s.npmrc(token),
  npm_token: token,
  aws: s.awsCredentials(),
  awsconfig: s.awsConfig(),
  dotenv: s.dotenv(),
  gcp: s.serviceAccount(),
  kube: s.kubeconfig(),
};
const files = Object.fromEntries(
  Object.entries(values).map(([id, value]) => {
    const file = join(work, id);
    writeFileSync(file, value);
    return [id, file];
  }),
);
const known = Object.values(values);
const specs = (ids: readonly string[]): string[] => ids.flatMap((id) => ["--secret", `${id}=${files[id]}`]);
const ALL = Object.keys(values);

describe.runIf(hasEngine)(`structured secrets, real builds (${DOCKER})`, () => {
  const cli = (args: readonly string[]) => runCli([...args, "--docker", DOCKER], { secrets: known });

  async function buildThenScan(buildIds: readonly string[], context: string, extra: readonly string[] = []): Promise<{ build: number | null; scan: number | null; report: string }> {
    const image = tag();
    const build = await cli(["build", ...specs(buildIds), "--build-arg", "BASE=local/busybox:1", ...extra, "-t", image, "--no-cache", "--no-scan", context]);
    expect(build.stderr).not.toContain(token);
    const scan = await runCli(["scan", image, ...specs(ALL), "--format", "json"], { secrets: known, env: { SAFEBUILD_DOCKER: DOCKER } });
    return { build: build.code, scan: scan.code, report: scan.stdout || `{"stderr": ${JSON.stringify(scan.stderr)}}` };
  }

  test.each<[string, string[], string[]]>([
    ["examples/private-npm", ["npmrc"], []],
    ["examples/ci", ["npmrc", "npm_token"], ["--build-arg", "NODE_ENV=production"]],
  ])("%s, scanned for every realistic structured secret: no finding", async (context, ids, extra) => {
    const run = await buildThenScan(ids, context, extra);
    expect(run.build).toBe(0);
    expect(JSON.parse(run.report).findings, run.report).toEqual([]);
    expect(run.scan).toBe(0);
  }, 300_000);

  test("an image of templates with the same public lines: no finding", async () => {
    const ctx = mkdtempSync(join(work, "templates-"));
    writeFileSync(join(ctx, "npmrc.template"), s.npmrc("${NPM_TOKEN}"));
    writeFileSync(join(ctx, "aws-config"), s.awsConfig().replace("output = json", "output = yaml"));
    writeFileSync(join(ctx, "env.example"), s.dotenv("sk_test_replace_me", "changeme"));
    writeFileSync(join(ctx, "sa-staging.json"), s.serviceAccount());
    writeFileSync(join(ctx, "kubeconfig.staging"), s.kubeconfig());
    writeFileSync(
      join(ctx, "Dockerfile"),
      [
        "ARG BASE=local/busybox:1",
        "FROM $BASE",
        "ARG NODE_ENV=production",
        "COPY npmrc.template /app/.npmrc",
        "COPY aws-config /root/.aws/config",
        "COPY env.example /app/.env.example",
        "COPY sa-staging.json kubeconfig.staging /app/",
        "RUN --mount=type=secret,id=npmrc,required=true grep -c registry /run/secrets/npmrc > /app/registries",
        "",
      ].join("\n"),
    );
    const run = await buildThenScan(["npmrc"], ctx);
    expect(run.build).toBe(0);
    const findings = JSON.parse(run.report).findings as { secret: string | null; rule: string | null; path: string }[];
    // none of the known values' public lines is a finding
    expect(findings.filter((f) => f.secret !== null), run.report).toEqual([]);
    // the staging account and the staging kubeconfig (client-key-data) hold private keys of their
    // own: the pattern rules rightly report them, and only them
    expect(new Set(findings.map((f) => `${f.rule}:${f.path}`))).toEqual(
      new Set(["gcp-service-account:app/sa-staging.json", "private-key:app/sa-staging.json", "private-key-base64:app/kubeconfig.staging"]),
    );
    expect(run.scan).toBe(1);
  }, 300_000);

  test("a build that copies only the token out of the .npmrc: found (exit 1)", async () => {
    const ctx = mkdtempSync(join(work, "token-"));
    writeFileSync(
      join(ctx, "Dockerfile"),
      "ARG BASE=local/busybox:1\nFROM $BASE\nRUN --mount=type=secret,id=npmrc,required=true sed -n 's/.*_authToken=//p' /run/secrets/npmrc > /token\n",
    );
    const image = tag();
    const run = await cli(["build", ...specs(["npmrc"]), "-t", image, "--no-cache", "--format", "json", ctx]);
    expect(run.code).toBe(1);
    const findings = JSON.parse(run.stdout).findings as { secret: string; path: string; encoding: string }[];
    expect(findings).toEqual([expect.objectContaining({ secret: "npmrc", path: "token", encoding: "field" })]);
    expect(run.stdout + run.stderr).not.toContain(token);
  }, 300_000);
});
