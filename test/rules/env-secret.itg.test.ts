import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { engineAnswers, removeImages } from "../build/cli.js";
import { runCli } from "../helpers/cli.js";
import { alnum } from "./tokens.js";

const DOCKER = process.env["SAFEBUILD_DOCKER"] ?? "/usr/bin/docker";
const tag = `sbtest-env-secret-${Math.random().toString(36).slice(2, 8)}:1`;
const work = mkdtempSync(join(tmpdir(), "sbtest-env-secret-"));
// made up: no --secret names them, the rule must find them by their settings' names
const npmToken = alnum(24);
const oldToken = alnum(20);
const password = `${alnum(6)} ${alnum(8)}!`;

interface Report {
  findings: { rule: string | null; where: string; path: string; dockerfile?: { line: number } | null }[];
}

// Under CI=true a missing engine throws here: these tests run or fail, never skip.
const up = engineAnswers();

describe.skipIf(!up)("env-secret against the real engine: ENV and build arguments as BuildKit records them", () => {
  beforeAll(() => {
    writeFileSync(
      join(work, "Dockerfile"),
      ["FROM local/busybox:1", "ARG NPM_TOKEN", `ENV API_TOKEN=${oldToken}`, "RUN echo build", "ENV API_TOKEN=", `ENV DB_PASSWORD="${password}"`, "ENV NODE_VERSION=20.11.1 POSTGRES_PASSWORD_FILE=/run/secrets/db"].join("\n"),
    );
    execFileSync(DOCKER, ["build", "-q", "-t", tag, "--build-arg", `NPM_TOKEN=${npmToken}`, work], { env: { ...process.env, DOCKER_BUILDKIT: "1" }, stdio: "ignore" });
  });
  afterAll(() => {
    removeImages([tag]);
    rmSync(work, { recursive: true, force: true });
  });

  test("scan IMAGE finds the ENV password, the overwritten ENV token and the build argument, and prints none of them", async () => {
    const cli = await runCli(["scan", tag, "--format", "json"], { cwd: work, secrets: [npmToken, oldToken, password] });
    expect(cli.code, cli.stderr.toString()).toBe(1);
    const report = JSON.parse(cli.stdout.toString()) as Report;
    const got = report.findings.map((f) => `${f.rule} ${f.where} ${f.path}`).sort();
    // history newest last: FROM's import, ARG, ENV (old token), RUN |1 NPM_TOKEN=…, ENV API_TOKEN=, ENV DB_PASSWORD, ENV …
    expect(got).toEqual(["env-secret env Env[2]", "env-secret history history[2].created_by", "env-secret history history[3].created_by", "env-secret history history[5].created_by"]);
    for (const value of [npmToken, oldToken, password]) expect(cli.output).not.toContain(value);
  });
});
