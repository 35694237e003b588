import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { scanImage } from "../../src/scan/scan-image.js";
import { engineAnswers } from "../build/cli.js";
import { runCli } from "../helpers/cli.js";
import { expectLeaky, TOKEN } from "../scan/fixture-expectations.js";
import { fixtures, secret } from "../scan/helpers.js";

// An engine safebuild cannot read itself (ssh://, TLS) is read through the docker CLI's
// `docker save`. Here the "remote" engine is the local one behind a wrapper CLI that drops
// DOCKER_HOST=ssh://…, so the bytes are a real engine's.
const DOCKER = "/usr/bin/docker";
const run = randomBytes(3).toString("hex");
const tag = `sbtest-cli-export-${run}:1`;
const built = `sbtest-cli-export-built-${run}:1`;
const work = mkdtempSync(join(tmpdir(), "sbtest-cli-export-"));
const log = join(work, "calls.log");
const REMOTE = "ssh://nobody@build-host.invalid";

function wrapper(name: string, body: string): string {
  const file = join(work, name);
  writeFileSync(file, `#!/bin/sh\nunset DOCKER_HOST\necho "$1 $2" >> ${log}\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

const up = engineAnswers();

describe.skipIf(!up)("engines safebuild cannot reach itself: through the docker CLI", () => {
  const cli = wrapper("docker", `exec ${DOCKER} "$@"`);
  // `docker save` that dies halfway, as a lost ssh connection would.
  const broken = wrapper("docker-broken", `if [ "$1" = save ]; then ${DOCKER} "$@" | head -c 100000; echo "error during connect: ssh: connection lost" >&2; exit 1; fi\nexec ${DOCKER} "$@"`);

  beforeAll(() => {
    const loaded = execFileSync(DOCKER, ["load", "-q", "-i", join(fixtures, "leaky.docker.tar")], { encoding: "utf8" });
    const id = /sha256:[0-9a-f]{64}|sbfixture:latest/.exec(loaded)?.[0] ?? "sbfixture:latest";
    execFileSync(DOCKER, ["tag", id, tag]);
  });
  afterAll(() => {
    spawnSync(DOCKER, ["rmi", "-f", tag, built], { stdio: "ignore" });
    rmSync(work, { recursive: true, force: true });
  });

  test("scanImage with DOCKER_HOST=ssh://…: the conformance findings, read through `docker save`", async () => {
    rmSync(log, { force: true });
    const result = await scanImage({ ref: tag, secrets: [secret("token", `${TOKEN}\n`)], env: { ...process.env, DOCKER_HOST: REMOTE, SAFEBUILD_DOCKER: cli }, cwd: work });
    expectLeaky(result, "token");
    expect(result.image.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(readFileSync(log, "utf8").trim().split("\n")).toEqual(["image inspect", `save ${result.image.id}`]);
  });

  test("the CLI: a leak is exit 1, a missing image exit 2, a save cut short exit 4; never the value", async () => {
    const secretFile = join(work, "token");
    writeFileSync(secretFile, `${TOKEN}\n`);
    const scan = (ref: string, docker: string) =>
      runCli(["scan", ref, "--secret", `token=${secretFile}`, "--format", "json"], { cwd: work, env: { DOCKER_HOST: REMOTE, SAFEBUILD_DOCKER: docker }, secrets: [TOKEN] });

    const leak = await scan(tag, cli);
    expect(leak.code, leak.stderr.toString()).toBe(1);
    expect((JSON.parse(leak.stdout.toString()) as { findings: { path: string }[] }).findings.map((f) => f.path)).toContain("app/secret.txt");

    const missing = await scan(`sbtest-cli-export-missing-${run}:1`, cli);
    expect(missing.code).toBe(2);
    expect(missing.stderr.toString()).toMatch(/^safebuild: no such image: sbtest-cli-export-missing-/m);

    const cut = await scan(tag, broken);
    expect(cut.code).toBe(4);
    expect(cut.stderr.toString()).toMatch(/`docker save` through .*docker-broken failed \(exit 1\): error during connect: ssh: connection lost/);
    for (const r of [leak, missing, cut]) expect(r.output).not.toContain(TOKEN);
  });

  test("build against such an engine: the scan after the build goes through the build's docker CLI", async () => {
    const value = `sbcliexp-${randomBytes(18).toString("base64url")}`;
    const ctx = mkdtempSync(join(work, "ctx-"));
    writeFileSync(join(ctx, "Dockerfile"), "ARG BASE\nFROM $BASE\nRUN --mount=type=secret,id=tok cp /run/secrets/tok /leak\n");
    writeFileSync(join(work, "tok"), value);
    rmSync(log, { force: true });
    const result = await runCli(["build", "--no-cache", "--docker", cli, "--secret", `tok=${join(work, "tok")}`, "--build-arg", "BASE=local/busybox:1", "-t", built, "--format", "json", ctx], {
      cwd: work,
      env: { DOCKER_HOST: REMOTE },
      secrets: [value],
    });
    expect(result.code, result.stderr.toString()).toBe(1);
    expect((JSON.parse(result.stdout.toString()) as { findings: { path: string }[] }).findings.map((f) => f.path)).toContain("leak");
    expect(readFileSync(log, "utf8")).toMatch(/^save sha256:/m);
    expect(result.output).not.toContain(value);
  });
});
