import { readFile } from "node:fs/promises";
import { describe, expect, test } from "vitest";
import { isSafebuildError } from "../../src/errors.js";
import { loadConfig } from "../../src/config/load-config.js";
import { parseConfig } from "../../src/config/parse-config.js";

const errorOf = (text: string): string => {
  try {
    parseConfig(text, "/repo/safebuild.yml", "safebuild.yml");
  } catch (error) {
    expect(isSafebuildError(error) && error.exitCode === 2).toBe(true);
    return (error as Error).message;
  }
  throw new Error("expected an error");
};

describe("parseConfig: a full file", () => {
  const config = parseConfig(
    `version: 1
secrets:
  npmrc: ~/.npmrc
  local: ./secrets/token.txt
  plain: secrets/other
  api: env:API_TOKEN
  dot: dotenv:#NPM_TOKEN
  dot2: dotenv:conf/.env#KEY
  vault: vault:secret/ci#npm@3
  op: cmd:op read "op://ci/npm/token"
  fromsrc: { src: ./x }
  fromenv: { env: SOME_VAR }
build:
  context: app
  file: docker/Dockerfile
  tags: [app:1, app:latest]
  buildArgs: { NODE_ENV: production, VERSION: 1.10, DEBUG: false }
  labels:
    org.opencontainers.image.source: https://example.invalid/repo
  target: runtime
  platform: linux/amd64
scan:
  failOn: [file, env]
  ignore:
    - secret: npmrc
      path: /app/test/fixtures/**
      reason: test fixture, not the real token
`,
    "/repo/safebuild.yml",
  );

  test("secrets keep file order; relative paths come from the file's directory", () => {
    expect(config.secrets.map((s) => [s.id, s.kind, s.target])).toEqual([
      ["npmrc", "file", "~/.npmrc"],
      ["local", "file", "/repo/secrets/token.txt"],
      ["plain", "file", "/repo/secrets/other"],
      ["api", "env", "API_TOKEN"],
      ["dot", "dotenv", "/repo/.env#NPM_TOKEN"],
      ["dot2", "dotenv", "/repo/conf/.env#KEY"],
      ["vault", "vault", "secret/ci#npm@3"],
      ["op", "cmd", 'op read "op://ci/npm/token"'],
      ["fromsrc", "file", "/repo/x"],
      ["fromenv", "env", "SOME_VAR"],
    ]);
  });

  test("build defaults", () => {
    expect(config.build).toEqual({
      context: "/repo/app",
      file: "/repo/docker/Dockerfile",
      tags: ["app:1", "app:latest"],
      buildArgs: { NODE_ENV: "production", VERSION: "1.1", DEBUG: "false" },
      labels: { "org.opencontainers.image.source": "https://example.invalid/repo" },
      target: "runtime",
      platform: "linux/amd64",
      push: false,
    });
  });

  test("scan policy with the rule's line", () => {
    expect(config.scan).toEqual({
      failOn: ["file", "env"],
      ignore: [{ secret: "npmrc", rule: undefined, path: "/app/test/fixtures/**", where: undefined, reason: "test fixture, not the real token", line: 25 }],
      notSearched: "fail",
    });
  });
});

describe("parseConfig: scan.notSearched", () => {
  test.each([
    ["fail", "fail"],
    ["warn", "warn"],
  ] as const)("%s", (value, expected) => {
    expect(parseConfig(`scan:\n  notSearched: ${value}\n`, "/r/safebuild.yml").scan.notSearched).toBe(expected);
  });

  test("anything else is an error naming the choices", () => {
    expect(() => parseConfig("scan:\n  notSearched: ignore\n", "/r/safebuild.yml")).toThrow(/expected fail or warn/);
  });
});

describe("parseConfig: defaults", () => {
  test.each(["", "# only a comment\n", "secrets: {}\n"])("%j", (text) => {
    const config = parseConfig(text, "/r/safebuild.yml");
    expect(config.secrets).toEqual([]);
    expect(config.scan).toEqual({ failOn: "any", ignore: [], notSearched: "fail" });
    expect(config.build.tags).toEqual([]);
  });

  test("a single tag string", () => {
    expect(parseConfig("build:\n  tags: app:1\n", "/r/safebuild.yml").build.tags).toEqual(["app:1"]);
  });
});

describe("parseConfig: errors say FILE:LINE: key: what", () => {
  test.each([
    ["unknown top-level key", "secrets: {}\nsecret:\n  a: b\n", /^safebuild\.yml:2: secret: unknown key \(known: version, secrets, build, scan\)$/],
    ["unknown build key", "build:\n  file: D\n  tag: x\n", /^safebuild\.yml:3: build\.tag: unknown key \(known: context, file, tags/],
    ["a secret that is a number", "secrets:\n  npmrc: 12\n", /^safebuild\.yml:2: secrets\.npmrc: expected a source/],
    ["a bad secret source", "secrets:\n  a: b\n  npmrc: nope:x\n", /^safebuild\.yml:3: secrets\.npmrc: unknown source "nope:"/],
    ["a bad secret id", "secrets:\n  'bad id': ~/.x\n", /^safebuild\.yml:2: secrets\.bad id: id "bad id" may only hold/],
    ["vault without field", "secrets:\n  t: vault:secret/x\n", /^safebuild\.yml:2: secrets\.t: vault: needs #FIELD/],
    ["an ignore rule without reason", "scan:\n  ignore:\n    - secret: a\n      path: x\n", /^safebuild\.yml:3: scan\.ignore\.0\.reason: expected a reason/],
    ["an ignore rule with an empty reason", "scan:\n  ignore:\n    - secret: a\n      reason: ''\n", /^safebuild\.yml:4: scan\.ignore\.0\.reason: expected a reason .*empty/],
    ["an ignore rule with no selector", "scan:\n  ignore:\n    - reason: because\n", /^safebuild\.yml:3: scan\.ignore\.0: give at least one of secret, rule, path or fingerprint$/],
    ["an unknown ignore key", "scan:\n  ignore:\n    - secret: a\n      reason: r\n      file: x\n", /^safebuild\.yml:5: scan\.ignore\.0\.file: unknown key \(known: secret, rule, path, where, fingerprint, reason\)$/],
    ["a bad failOn", "scan:\n  failOn: sometimes\n", /^safebuild\.yml:2: scan\.failOn: expected any, none, a severity \(low, medium, high, critical: that or worse\), or a list of file, path/],
    ["tags not a list of strings", "build:\n  tags:\n    - a\n    - {x: 1}\n", /^safebuild\.yml:2: build\.tags: expected a tag or a list of tags$/],
    ["duplicate secret id", "secrets:\n  a: x\n  a: y\n", /^safebuild\.yml:3: not valid YAML: Map keys must be unique/],
    ["a docker-form entry naming an id another entry has", 'secrets:\n  npmrc: ./a\n  id: "npmrc,src=./b"\n', /^safebuild\.yml:3: secrets\.id: secret npmrc is given twice \(also at safebuild\.yml:2: secrets\.npmrc\)$/],
    ["broken YAML", "secrets:\n  a: [x\n", /^safebuild\.yml:\d: not valid YAML: /],
    ["a list at the top", "- a\n", /^safebuild\.yml:1: \(top level\): /],
    ["version 2", "version: 2\n", /^safebuild\.yml:1: version: expected version: 1$/],
  ])("%s", (_name, text, expected) => {
    expect(errorOf(text)).toMatch(expected);
  });
});

describe("examples/ci/safebuild.yml", () => {
  test("parses, its paths stay out of the build (the CI job names the context), its ignore rule carries a reason", async () => {
    const { config } = await loadConfig({ explicit: "examples/ci/safebuild.yml", contextDir: "examples/leaky", cwd: process.cwd() });
    expect(config?.secrets.map((s) => [s.id, s.kind])).toEqual([
      ["npmrc", "env"],
      ["npm_token", "vault"],
    ]);
    expect(config?.build.file).toBeUndefined();
    expect(config?.build.context).toBeUndefined();
    expect(config?.scan.ignore[0]?.reason).toBe("a revoked token kept as a test fixture");
  });
});

describe("examples/ci: a pull request cannot change what the job trusts", () => {
  test.each(["examples/ci/github-actions.yml", "examples/ci/gitlab-ci.yml"])("%s", async (file) => {
    const text = (await readFile(file, "utf8"))
      .split("\n")
      .filter((line) => !line.trim().startsWith("#"))
      .join("\n");
    // Every safebuild run names its config (kept outside the checkout) and none comes from a registry name.
    const runs = [...text.matchAll(/^\s*(?:-\s+)?(?:run:\s+)?(safebuild\s+\S.*)$/gm)].map((m) => m[1] ?? "");
    expect(runs.length).toBeGreaterThan(0);
    for (const run of runs) expect(run).toMatch(/ --config \S+/);
    expect(text).not.toMatch(/npx\s+(--yes\s+)?safebuild/);
    expect(text).toMatch(/SAFEBUILD_COMMIT: [0-9a-f]{40}\b/);
    expect(text).not.toContain("--trust-context-config");
  });
});
