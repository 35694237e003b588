import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { builderCacheDir, builderCacheKey, forgetCachedBuilders, readCachedBuilder, writeCachedBuilder } from "../../src/buildkit/builder-cache.js";
import type { Builder } from "../../src/buildkit/builder.js";
import { detectBuilder } from "../../src/buildkit/detect.js";
import { makeFakeDocker } from "./fake-docker.js";

const work = mkdtempSync(join(tmpdir(), "sbtest-builder-cache-"));
const fake = makeFakeDocker();
const servers: Server[] = [];
afterAll(() => {
  fake.cleanup();
  for (const s of servers) s.close();
  rmSync(work, { recursive: true, force: true });
});
let serial = 0;
const fresh = (name: string): string => {
  const dir = join(work, `${name}-${serial++}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};

const builder = (docker: string): Builder => ({ kind: "classic-buildkit", docker, clientVersion: "20.10.24", load: false });

describe("builderCacheDir", () => {
  test.each<[string, NodeJS.ProcessEnv, string | undefined]>([
    ["SAFEBUILD_CACHE_DIR first", { SAFEBUILD_CACHE_DIR: "/c", XDG_CACHE_HOME: "/x", HOME: "/h" }, "/c"],
    ["set but empty: no cache", { SAFEBUILD_CACHE_DIR: "", XDG_CACHE_HOME: "/x", HOME: "/h" }, undefined],
    ["then XDG_CACHE_HOME", { XDG_CACHE_HOME: "/x", HOME: "/h" }, "/x/safebuild"],
    ["then ~/.cache", { HOME: "/h" }, "/h/.cache/safebuild"],
  ])("%s", (_name, env, expected) => {
    expect(builderCacheDir(env)).toBe(expected);
  });
});

describe("builderCacheKey", () => {
  const home = fresh("home");
  const cli = join(home, "docker");
  writeFileSync(cli, "#!/bin/sh\n");
  const env = { HOME: home };
  const base = builderCacheKey(cli, env);

  test("is stable while nothing changes", () => {
    expect(builderCacheKey(cli, env)).toBe(base);
  });

  test.each<[string, () => NodeJS.ProcessEnv | void]>([
    ["the CLI is replaced", () => void utimesSync(cli, new Date(), new Date(Date.now() + 5000))],
    ["a user plugin is installed", () => void mkdirSync(join(home, ".docker", "cli-plugins"), { recursive: true })],
    ["another buildx builder is chosen", () => {
      mkdirSync(join(home, ".docker", "buildx"), { recursive: true });
      writeFileSync(join(home, ".docker", "buildx", "current"), '{"Key":"x","Name":"other"}');
    }],
    ["a buildx plugin appears in a cliPluginsExtraDirs directory", () => {
      const extra = fresh("extra-plugins");
      writeFileSync(join(home, ".docker", "config.json"), JSON.stringify({ cliPluginsExtraDirs: [extra] }));
      const before = builderCacheKey(cli, env);
      writeFileSync(join(extra, "docker-buildx"), "#!/bin/sh\n");
      expect(builderCacheKey(cli, env)).not.toBe(before);
    }],
    ["the target of a symlinked buildx plugin is replaced", () => {
      const target = join(fresh("plugin-target"), "docker-buildx");
      writeFileSync(target, "v1");
      symlinkSync(target, join(home, ".docker", "cli-plugins", "docker-buildx"));
      const before = builderCacheKey(cli, env);
      writeFileSync(target, "version 2");
      expect(builderCacheKey(cli, env)).not.toBe(before);
    }],
    ["BUILDX_CONFIG names another buildx state", () => ({ ...env, BUILDX_CONFIG: fresh("buildx-config") })],
    ["DOCKER_HOST is set", () => ({ ...env, DOCKER_HOST: "unix:///elsewhere.sock" })],
    ["BUILDX_BUILDER is set", () => ({ ...env, BUILDX_BUILDER: "ci" })],
  ])("changes when %s", (_name, change) => {
    const before = builderCacheKey(cli, env);
    const nextEnv = change() ?? env;
    expect(builderCacheKey(cli, nextEnv)).not.toBe(before);
  });
});

describe("the cache file", () => {
  test("round trip; private file in a private directory; another CLI's entry is not taken", () => {
    const dir = join(fresh("cache"), "safebuild");
    writeCachedBuilder(dir, "k1", builder("/usr/bin/docker"));
    expect(readCachedBuilder(dir, "k1", "/usr/bin/docker")).toEqual(builder("/usr/bin/docker"));
    expect(readCachedBuilder(dir, "k1", "/usr/local/bin/docker")).toBeUndefined();
    expect(readCachedBuilder(dir, "k2", "/usr/bin/docker")).toBeUndefined();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, "builders.json")).mode & 0o777).toBe(0o600);
  });

  test("a corrupt or foreign file reads as empty and is replaced; entries stay bounded", () => {
    const dir = fresh("corrupt");
    writeFileSync(join(dir, "builders.json"), "{not json");
    expect(readCachedBuilder(dir, "k", "/d")).toBeUndefined();
    writeFileSync(join(dir, "builders.json"), JSON.stringify({ k: { kind: "legacy", docker: "/d", clientVersion: "1", load: false } }));
    expect(readCachedBuilder(dir, "k", "/d")).toBeUndefined();
    for (let i = 0; i < 50; i++) writeCachedBuilder(dir, `k${i}`, builder("/d"));
    const entries = Object.keys(JSON.parse(readFileSync(join(dir, "builders.json"), "utf8")) as object);
    expect(entries).toHaveLength(32);
    expect(readCachedBuilder(dir, "k49", "/d")).toEqual(builder("/d"));
  });

  test("forgetting one docker CLI keeps the others", () => {
    const dir = fresh("forget");
    writeCachedBuilder(dir, "a", builder("/a/docker"));
    writeCachedBuilder(dir, "b", builder("/b/docker"));
    writeCachedBuilder(dir, "a2", builder("/a/docker"));
    forgetCachedBuilders(dir, "/a/docker");
    expect(readCachedBuilder(dir, "a", "/a/docker")).toBeUndefined();
    expect(readCachedBuilder(dir, "a2", "/a/docker")).toBeUndefined();
    expect(readCachedBuilder(dir, "b", "/b/docker")).toEqual(builder("/b/docker"));
  });

  test("an unwritable cache is not an error", () => {
    const parent = fresh("readonly");
    writeFileSync(join(parent, "file"), "");
    expect(() => writeCachedBuilder(join(parent, "file", "safebuild"), "k", builder("/d"))).not.toThrow();
  });
});

describe("detectBuilder with a cache", () => {
  /** A stand-in engine that answers `/_ping`, so the cached answer may be used. */
  async function engine(): Promise<string> {
    const socketPath = join(fresh("engine"), "docker.sock");
    const server = createServer((req, res) => res.end(req.url === "/_ping" ? "OK" : ""));
    servers.push(server);
    await new Promise<void>((r) => server.listen(socketPath, r));
    return `unix://${socketPath}`;
  }
  const calls = (log: string): string[] => {
    try {
      return readFileSync(log, "utf8").trim().split("\n").filter(Boolean);
    } catch {
      return [];
    }
  };

  test("probes once, then answers from the cache while the engine answers its ping; probes again when it does not", async () => {
    const cacheDir = fresh("detect");
    const home = fresh("home");
    const log = join(cacheDir, "calls.log");
    // A wrapper that logs each call, so the test sees which probes ran.
    const wrapper = join(cacheDir, "docker");
    writeFileSync(wrapper, `#!/bin/sh\necho "$1" >> ${log}\nexec ${fake.path} "$@"\n`);
    chmodSync(wrapper, 0o755);
    const env = { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: home, DOCKER_HOST: await engine(), FAKE_DOCKER_CLIENT: "20.10.24+dfsg1" };
    const detect = (over: Record<string, string> = {}) => detectBuilder({ docker: wrapper, env: { ...env, ...over }, probeEnv: { ...env, ...over }, cwd: "/", cacheDir });

    expect(await detect()).toMatchObject({ kind: "classic-buildkit", docker: wrapper });
    expect(calls(log)).toEqual(["version", "buildx"]);
    expect(await detect()).toMatchObject({ kind: "classic-buildkit", docker: wrapper });
    expect(calls(log)).toEqual(["version", "buildx"]);

    // No engine behind DOCKER_HOST: the probes run, and say so the usual way.
    const dead = `unix://${join(cacheDir, "nothing.sock")}`;
    const failure = await detect({ DOCKER_HOST: dead, FAKE_DOCKER_SERVER: "" }).catch((e: unknown) => e);
    expect(String((failure as Error).message)).toMatch(/no Docker engine answers/);
    expect(calls(log)).toHaveLength(4);

    // The CLI changed: probed again.
    utimesSync(wrapper, new Date(), new Date(Date.now() + 10_000));
    await detect();
    expect(calls(log)).toHaveLength(6);
  });
});
