import { afterAll, describe, expect, test } from "vitest";
import { detectBuilder } from "../../src/buildkit/detect.js";
import { isSafebuildError } from "../../src/errors.js";
import { dirname } from "node:path";
import { makeFakeDocker } from "./fake-docker.js";

// The fake is a node script: node must stay reachable even when docker is not.
const nodeOnly = dirname(process.execPath);

const fake = makeFakeDocker();
afterAll(() => fake.cleanup());
const basePath = `${fake.bin}:${process.env["PATH"] ?? ""}`;

// The fake answers as its environment says: the probes get that environment as it is.
async function detect(env: Record<string, string>, docker?: string) {
  const given = { PATH: basePath, ...env };
  return detectBuilder({ docker, env: given, probeEnv: given, cwd: process.cwd() });
}

async function failure(env: Record<string, string>, docker?: string): Promise<{ exitCode: number; message: string }> {
  try {
    await detect(env, docker);
  } catch (error) {
    if (isSafebuildError(error)) return { exitCode: error.exitCode, message: error.message };
    throw error;
  }
  throw new Error("expected a failure");
}

describe("detectBuilder", () => {
  test.each([
    ["pre-23 CLI, no buildx: built-in BuildKit", { FAKE_DOCKER_CLIENT: "20.10.24+dfsg1" }, { kind: "classic-buildkit", load: false }],
    ["buildx with the docker driver: no --load", { FAKE_DOCKER_CLIENT: "28.2.2", FAKE_DOCKER_BUILDX: "1", FAKE_DOCKER_DRIVER: "docker" }, { kind: "buildx", load: false }],
    ["buildx with docker-container: --load", { FAKE_DOCKER_CLIENT: "28.2.2", FAKE_DOCKER_BUILDX: "1" }, { kind: "buildx", load: true }],
    ["pre-23 CLI with buildx prefers buildx", { FAKE_DOCKER_BUILDX: "1", FAKE_DOCKER_DRIVER: "docker" }, { kind: "buildx", load: false }],
  ])("%s", async (_name, env, expected) => {
    const builder = await detect(env);
    expect(builder).toMatchObject({ ...expected, docker: fake.path });
  });

  test.each([
    ["28.x without buildx", { FAKE_DOCKER_CLIENT: "28.2.2" }, /has no buildx plugin.*--docker /],
    ["no engine", { FAKE_DOCKER_SERVER: "" }, /no Docker engine answers.*Cannot connect.*scripts\/ci-docker\.sh/],
    ["not a docker CLI", { FAKE_DOCKER_CLIENT: "hello" }, /does not answer `docker version`/],
  ])("exit 4: %s", async (_name, env, pattern) => {
    const { exitCode, message } = await failure(env);
    expect(exitCode).toBe(4);
    expect(message).toMatch(pattern);
  });

  test("no docker on PATH is exit 4", async () => {
    const result = await detectBuilder({ docker: undefined, env: { PATH: "/nonexistent" }, cwd: "/" }).catch((e: unknown) => e);
    expect(isSafebuildError(result) && result.exitCode).toBe(4);
    expect(String((result as Error).message)).toMatch(/no docker CLI found on PATH/);
  });

  test("--docker wins over SAFEBUILD_DOCKER, which wins over PATH", async () => {
    expect((await detectBuilder({ docker: fake.path, env: { PATH: nodeOnly, SAFEBUILD_DOCKER: "/nope/docker" }, cwd: "/" })).docker).toBe(fake.path);
    expect((await detectBuilder({ docker: undefined, env: { PATH: nodeOnly, SAFEBUILD_DOCKER: fake.path }, cwd: "/" })).docker).toBe(fake.path);
    const missing = await failure({ SAFEBUILD_DOCKER: "/nope/docker" });
    expect(missing.message).toMatch(/\/nope\/docker \(from SAFEBUILD_DOCKER\) does not exist/);
  });

  test("probes get exactly the environment given (no inherited secrets)", async () => {
    process.env["SBTEST_PARENT_ONLY"] = "parent-value";
    try {
      await detect({ FAKE_DOCKER_LOG: fake.logFile });
    } finally {
      delete process.env["SBTEST_PARENT_ONLY"];
    }
    const calls = fake.calls();
    expect(calls.length).toBeGreaterThanOrEqual(2);
    for (const call of calls) expect(call.env["SBTEST_PARENT_ONLY"]).toBeUndefined();
  });
});
