import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { DOCKER, engineAnswers, removeImages, runCli } from "./cli.js";

// The builder cache through the real CLI and engine: the second build skips the docker
// probes, and a changed CLI or a dead engine brings them back.
const hasEngine = engineAnswers();
const work = mkdtempSync(join(tmpdir(), "sbtest-builder-cache-itg-"));
const image = `sbtest-builder-cache-${randomBytes(4).toString("hex")}`;
afterAll(() => {
  removeImages([image]);
  rmSync(work, { recursive: true, force: true });
});

describe.runIf(hasEngine)("the builder cache, real CLI and engine", () => {
  test("probes on the first build only; again when the docker CLI changes or a build failed; a dead engine is still exit 4", async () => {
    const log = join(work, "calls.log");
    const wrapper = join(work, "docker");
    writeFileSync(wrapper, `#!/bin/sh\necho "$1" >> ${log}\nexec ${DOCKER} "$@"\n`);
    chmodSync(wrapper, 0o755);
    const value = `sbcache-${randomBytes(18).toString("base64url")}`;
    const npmrc = join(work, "npmrc");
    writeFileSync(npmrc, `//npm.acme.example/:_authToken=${value}\n`);
    const env = { SAFEBUILD_CACHE_DIR: join(work, "cache") };
    const build = (extra: Record<string, string> = {}) =>
      runCli(["build", "--no-scan", "--docker", wrapper, "--secret", `npmrc=${npmrc}`, "--build-arg", "BASE=local/busybox:1", "-t", image, "examples/private-npm"], {
        env: { ...env, ...extra },
        secrets: [value],
      });
    const calls = (): string[] => readFileSync(log, "utf8").trim().split("\n");

    const first = await build();
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/building with docker build \(BuildKit\) 20\.10/);
    expect(calls()).toEqual(["version", "buildx", "build"]);

    const second = await build();
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/building with docker build \(BuildKit\) 20\.10/);
    expect(calls()).toEqual(["version", "buildx", "build", "build"]);

    utimesSync(wrapper, new Date(), new Date(Date.now() + 10_000));
    expect((await build()).code).toBe(0);
    expect(calls().slice(4)).toEqual(["version", "buildx", "build"]);

    // A failed build forgets what was remembered for its CLI: the next one probes.
    const broken = join(work, "broken");
    mkdirSync(broken);
    writeFileSync(join(broken, "Dockerfile"), "ARG BASE\nFROM $BASE\nRUN --mount=type=secret,id=npmrc false\n");
    const failed = await runCli(["build", "--no-scan", "--docker", wrapper, "--secret", `npmrc=${npmrc}`, "--build-arg", "BASE=local/busybox:1", broken], { env, secrets: [value] });
    expect(failed.code).toBe(3);
    expect(calls().slice(7)).toEqual(["build"]);
    expect((await build()).code).toBe(0);
    expect(calls().slice(8)).toEqual(["version", "buildx", "build"]);

    const dead = await build({ DOCKER_HOST: `unix://${join(work, "no-engine.sock")}` });
    expect(dead.code).toBe(4);
    expect(dead.stderr).toMatch(/no Docker engine answers/);
    expect(`${dead.stdout}${dead.stderr}`).not.toContain(value);
  });
});
