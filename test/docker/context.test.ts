import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { contextDockerHost, dockerConfigDir } from "../../src/docker/context.js";
import { engineEndpoint } from "../../src/docker/engine-images.js";

const dir = mkdtempSync(path.join(tmpdir(), "sbtest-context-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A docker config dir as the CLI writes it: config.json and contexts/meta/<sha256(name)>/meta.json. */
function configDir(current: string | undefined, contexts: Record<string, string>): string {
  const root = mkdtempSync(path.join(dir, "cfg-"));
  if (current !== undefined) writeFileSync(path.join(root, "config.json"), JSON.stringify({ currentContext: current }));
  for (const [name, host] of Object.entries(contexts)) {
    const meta = path.join(root, "contexts", "meta", createHash("sha256").update(name).digest("hex"));
    mkdirSync(meta, { recursive: true });
    writeFileSync(path.join(meta, "meta.json"), JSON.stringify({ Name: name, Endpoints: { docker: { Host: host } } }));
  }
  return root;
}

describe("the engine the docker CLI's context points at", () => {
  test.each([
    ["current context from config.json", "desktop", {}, "unix:///home/u/.docker/desktop/docker.sock"],
    ["DOCKER_CONTEXT wins over config.json", "desktop", { DOCKER_CONTEXT: "rootless" }, "unix:///run/user/1000/docker.sock"],
    ["the default context means the default socket", "default", {}, undefined],
    ["an unknown context is ignored", "nope", {}, undefined],
  ])("%s", (_name, current, env, expected) => {
    const cfg = configDir(current, { desktop: "unix:///home/u/.docker/desktop/docker.sock", rootless: "unix:///run/user/1000/docker.sock" });
    expect(contextDockerHost({ DOCKER_CONFIG: cfg, ...env })).toBe(expected);
  });

  test("DOCKER_HOST still wins over any context", () => {
    const cfg = configDir("desktop", { desktop: "unix:///ctx.sock" });
    expect(engineEndpoint({ DOCKER_CONFIG: cfg, DOCKER_HOST: "unix:///explicit.sock" })?.options.socketPath).toBe("/explicit.sock");
    expect(engineEndpoint({ DOCKER_CONFIG: cfg })?.options.socketPath).toBe("/ctx.sock");
  });

  test.each<[string, NodeJS.ProcessEnv]>([
    ["an ssh:// context", { DOCKER_CONFIG: configDir("remote", { remote: "ssh://user@build-host" }) }],
    ["an ssh:// DOCKER_HOST", { DOCKER_HOST: "ssh://user@build-host" }],
    ["an npipe:// DOCKER_HOST", { DOCKER_HOST: "npipe:////./pipe/docker_engine" }],
  ])("%s is left to the docker CLI (no endpoint of our own), never the default socket", (_name, env) => {
    expect(engineEndpoint(env)).toBeUndefined();
  });
});

describe("dockerConfigDir", () => {
  test.each<[string, NodeJS.ProcessEnv, string]>([
    ["DOCKER_CONFIG", { DOCKER_CONFIG: "/cfg", HOME: "/h" }, "/cfg"],
    ["an empty DOCKER_CONFIG counts as unset, as for the docker CLI", { DOCKER_CONFIG: "", HOME: "/h" }, "/h/.docker"],
    ["else ~/.docker", { HOME: "/h" }, "/h/.docker"],
  ])("%s", (_name, env, expected) => {
    expect(dockerConfigDir(env)).toBe(expected);
  });
});
