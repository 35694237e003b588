import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { scanImage } from "../../src/scan/scan-image.js";
import { expectLeaky, TOKEN } from "./fixture-expectations.js";
import { engineAnswers } from "../build/cli.js";
import { runCli } from "../helpers/cli.js";
import { fixtures, secret } from "./helpers.js";

const DOCKER = "/usr/bin/docker";
const run = Math.random().toString(36).slice(2, 8);
const fixtureTag = `sbtest-scan-itg-fixture-${run}:1`;
const builtTag = `sbtest-scan-itg-built-${run}:1`;
const work = mkdtempSync(join(tmpdir(), "sbtest-scan-itg-"));
const value = `sbitg-${randomBytes(18).toString("base64url")}`;

// Under CI=true a missing engine throws here: these tests run or fail, never skip.
const up = engineAnswers();

describe.skipIf(!up)("scan through the Docker Engine API", () => {
  beforeAll(() => {
    // The slimmed fixture image loads as is (its layers stand alone), then gets a tag of our own.
    const loaded = execFileSync(DOCKER, ["load", "-q", "-i", join(fixtures, "leaky.docker.tar")], { encoding: "utf8" });
    const id = /sha256:[0-9a-f]{64}|sbfixture:latest/.exec(loaded)?.[0] ?? "sbfixture:latest";
    execFileSync(DOCKER, ["tag", id, fixtureTag]);

    writeFileSync(join(work, "leak.txt"), `${value}\n`);
    writeFileSync(
      join(work, "Dockerfile"),
      ["FROM local/busybox:1", "COPY leak.txt /srv/leak.txt", "RUN cp /srv/leak.txt /srv/copy.txt && rm /srv/leak.txt", `LABEL itg=${value}`].join("\n"),
    );
    execFileSync(DOCKER, ["build", "-q", "-t", builtTag, work], { env: { ...process.env, DOCKER_BUILDKIT: "1" }, stdio: "ignore" });
  });
  afterAll(() => {
    spawnSync(DOCKER, ["rmi", "-f", fixtureTag, builtTag, "sbfixture:latest"], { stdio: "ignore" });
    rmSync(work, { recursive: true, force: true });
  });

  test("the fixture image, loaded into the engine, gives the conformance findings", async () => {
    const result = await scanImage({ ref: fixtureTag, secrets: [secret("token", `${TOKEN}\n`)], env: process.env, cwd: work });
    expectLeaky(result, "token");
    expect(result.image.id).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  test.each([["by tag", () => builtTag], ["docker: prefix", () => `docker:${builtTag}`]])(
    "an image built here, %s: copied file, deleted file, label",
    async (_name, ref) => {
      const result = await scanImage({ ref: ref(), secrets: [secret("itg", value)], env: process.env, cwd: work });
      const got = result.findings.map((f) => [f.where, f.path, f.deleted]);
      expect(got).toContainEqual(["file", "srv/leak.txt", true]);
      expect(got).toContainEqual(["file", "srv/copy.txt", false]);
      expect(got).toContainEqual(["label", "Labels.itg", false]);
      const leak = result.findings.find((f) => f.path === "srv/leak.txt");
      expect(leak?.layer?.index).toBe(1);
      expect(leak?.layer?.createdBy).toContain("COPY leak.txt");
      expect(JSON.stringify(result)).not.toContain(value);
    },
  );

  test("an image the engine lacks is an input error", async () => {
    await expect(scanImage({ ref: `sbtest-scan-missing-${run}:1`, secrets: [secret("itg", value)], env: process.env, cwd: work })).rejects.toMatchObject({
      kind: "input",
      exitCode: 2,
    });
  });

  test("the CLI: safebuild scan IMAGE --format json exits 1 and never prints the value", async () => {
    const secretFile = join(work, "itg-secret");
    writeFileSync(secretFile, value);
    const cli = await runCli(["scan", builtTag, "--secret", `itg=${secretFile}`, "--format", "json"], { cwd: work, secrets: [value] });
    expect(cli.output).not.toContain(value);
    expect(cli.code).toBe(1);
    const report = JSON.parse(cli.stdout.toString()) as { findings: { path: string }[] };
    expect(report.findings.map((f) => f.path)).toContain("srv/copy.txt");
  });
});
