import { describe, expect, test } from "vitest";
import { applyPolicy } from "../../src/config/apply-policy.js";
import { globToRegExp } from "../../src/config/glob.js";
import { parseConfig } from "../../src/config/parse-config.js";
import { mergeBuildOptions } from "../../src/config/merge-build-options.js";
import { mergeSecretSpecs } from "../../src/config/merge-secret-specs.js";
import type { BuildOptions } from "../../src/commands/context.js";
import type { Finding } from "../../src/scan/findings/finding.js";

const config = parseConfig(
  `secrets:
  npmrc: ~/.npmrc
  token: vault:secret/ci#token
build:
  file: docker/Dockerfile
  tags: [app:ci]
  buildArgs: { A: "1", B: "2" }
  labels: { team: core }
  target: prod
  platform: linux/amd64
scan:
  failOn: any
  ignore:
    - secret: npmrc
      path: app/test/**
      reason: fixture
    - rule: aws-key
      reason: documented example key
    - secret: "*"
      where: history
      path: "history[*].created_by"
      reason: build arg history is checked elsewhere
`,
  "/repo/safebuild.yml",
);

const cli: BuildOptions = {
  context: ".",
  secrets: [],
  tags: [],
  file: undefined,
  buildArgs: [],
  labels: [],
  target: undefined,
  platform: undefined,
  noCache: false,
  cacheSecrets: false,
  pull: false,
  scan: true,
  docker: undefined,
  iidfile: undefined,
  config: undefined,
  format: "text",
  report: undefined,
  exporters: [],
  quiet: false,
  builderFlags: [],
  passthrough: [],
  push: false,
  metadataFile: undefined,
};

describe("mergeBuildOptions: flags over the file", () => {
  test("push: true in the file, or --push, pushes", () => {
    const pushing = parseConfig("build:\n  push: true\n", "/repo/safebuild.yml");
    expect(mergeBuildOptions(cli, pushing).push).toBe(true);
    expect(mergeBuildOptions({ ...cli, push: true }, config).push).toBe(true);
    expect(mergeBuildOptions(cli, config).push).toBe(false);
  });

  test("the file fills what the flags left out", () => {
    const merged = mergeBuildOptions(cli, config);
    expect(merged).toMatchObject({
      file: "/repo/docker/Dockerfile",
      tags: ["app:ci"],
      buildArgs: ["A=1", "B=2"],
      labels: ["team=core"],
      target: "prod",
      platform: "linux/amd64",
      context: ".",
    });
  });

  test("flags win, build args and labels per key", () => {
    const merged = mergeBuildOptions(
      { ...cli, file: "Other", tags: ["x:1"], buildArgs: ["B=flag", "C=3"], labels: ["team=flag"], target: "dev", platform: "linux/arm64" },
      config,
    );
    expect(merged).toMatchObject({
      file: "Other",
      tags: ["x:1"],
      buildArgs: ["A=1", "B=flag", "C=3"],
      labels: ["team=flag"],
      target: "dev",
      platform: "linux/arm64",
    });
  });

  test("no config: unchanged", () => {
    expect(mergeBuildOptions(cli, undefined)).toBe(cli);
  });

  test("the file's context is used when none is given", () => {
    const withContext = parseConfig("build:\n  context: app\n", "/repo/safebuild.yml");
    expect(mergeBuildOptions(cli, withContext).context).toBe("/repo/app");
    expect(mergeBuildOptions({ ...cli, context: "elsewhere" }, withContext).context).toBe("elsewhere");
  });
});

describe("mergeSecretSpecs: the file's secrets, then the flags'", () => {
  test.each<[string, string[], [string, string, string][]]>([
    ["file only", [], [["npmrc", "file", "~/.npmrc"], ["token", "vault", "secret/ci#token"]]],
    ["a flag adds", ["extra=env:EXTRA"], [["npmrc", "file", "~/.npmrc"], ["token", "vault", "secret/ci#token"], ["extra", "env", "EXTRA"]]],
    ["a flag with a file id overrides it", ["token=env:LOCAL_TOKEN"], [["npmrc", "file", "~/.npmrc"], ["token", "env", "LOCAL_TOKEN"]]],
    ["docker form overrides too", ["id=npmrc,src=/tmp/n"], [["token", "vault", "secret/ci#token"], ["npmrc", "file", "/tmp/n"]]],
  ])("%s", (_name, flags, expected) => {
    expect(mergeSecretSpecs(flags, config).map((r) => [r.id, r.kind, r.target])).toEqual(expected);
  });

  test("the same id twice among the flags is still an error", () => {
    expect(() => mergeSecretSpecs(["a=env:A", "a=env:B"], config)).toThrow(/given twice/);
  });

  test("no config", () => {
    expect(mergeSecretSpecs(["a=env:A"], undefined).map((r) => r.id)).toEqual(["a"]);
  });
});

const finding = (over: Partial<Finding>): Finding => ({
  secret: "npmrc",
  rule: null,
  where: "file",
  layer: { index: 1, digest: "sha256:aa", createdBy: "RUN x" },
  path: "app/.npmrc",
  encoding: "raw",
  deleted: false,
  ...over,
});

describe("applyPolicy", () => {
  test("ignored findings are kept with their reason; the rest decide the exit", () => {
    const findings = [
      finding({}),
      finding({ path: "app/test/fixtures/npmrc" }),
      finding({ secret: "token", path: "app/test/x" }),
      finding({ secret: null, rule: "aws-key", path: "docs/x" }),
      finding({ secret: "token", where: "history", layer: null, path: "history[3].created_by" }),
    ];
    const outcome = applyPolicy(findings, config.scan);
    expect(outcome.findings.map((f) => `${f.secret}:${f.path}`)).toEqual(["npmrc:app/.npmrc", "token:app/test/x"]);
    expect(outcome.ignored.map((f) => `${f.path}:${f.reason}`)).toEqual([
      "app/test/fixtures/npmrc:fixture",
      "docs/x:documented example key",
      "history[3].created_by:build arg history is checked elsewhere",
    ]);
    expect(outcome.fails).toBe(true);
  });

  test.each<[string, "any" | "none" | ("file" | "env")[], Finding[], boolean]>([
    ["any, nothing found", "any", [], false],
    ["any, one found", "any", [finding({})], true],
    ["none never fails", "none", [finding({})], false],
    ["a list: a finding in a listed place fails", ["env"], [finding({ where: "env", path: "Env[0]" })], true],
    ["a list: others are reported only", ["env"], [finding({})], false],
  ])("failOn %s", (_name, failOn, findings, fails) => {
    expect(applyPolicy(findings, { failOn, ignore: [], notSearched: "fail" }).fails).toBe(fails);
  });

  test("no policy: every finding fails", () => {
    expect(applyPolicy([finding({})]).fails).toBe(true);
  });
});

describe("globs", () => {
  test.each([
    ["app/.npmrc", "app/.npmrc", true],
    ["app/.npmrc", "app/.npmrcx", false],
    ["app/*", "app/x", true],
    ["app/*", "app/x/y", false],
    ["app/**", "app/x/y", true],
    ["**/.npmrc", ".npmrc", true],
    ["**/.npmrc", "a/b/.npmrc", true],
    ["a/**/z", "a/z", true],
    ["a/**/z", "a/b/c/z", true],
    ["file?.txt", "file1.txt", true],
    ["file?.txt", "file10.txt", false],
    ["Env[2]", "Env[2]", true],
    ["Labels.a+b", "Labels.a+b", true],
    ["history[*].created_by", "history[12].created_by", true],
  ])("%s ~ %s = %s", (glob, value, expected) => {
    expect(globToRegExp(glob).test(value)).toBe(expected);
  });
});
