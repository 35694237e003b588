import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { isSafebuildError } from "../../src/errors.js";
import { loadConfig, type LoadConfigOptions } from "../../src/config/load-config.js";

const root = mkdtempSync(join(tmpdir(), "sbtest-choice-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * A CI workspace as the examples lay it out: `ws/src` is the checkout being built (it holds
 * .git), `ws/trusted` the operator's; each test gets its own copy.
 */
function workspace(files: Record<string, string>): string {
  const ws = mkdtempSync(join(root, "ws-"));
  mkdirSync(join(ws, "src/.git"), { recursive: true });
  mkdirSync(join(ws, "src/app/sub"), { recursive: true });
  mkdirSync(join(ws, "trusted"), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(ws, name), text);
  return ws;
}
const cfg = (target: string): string => `build:\n  target: ${target}\n`;

async function choose(options: Partial<LoadConfigOptions> & { cwd: string }) {
  const choice = await loadConfig({ contextDir: "src", ...options });
  return { target: choice.config?.build.target, trust: choice.trust.kind, notes: choice.notes, display: choice.config?.display };
}

describe("loadConfig: which file, and how far it is trusted", () => {
  test("the context's file alone is not used; one note says so and how to opt in", async () => {
    const ws = workspace({ "src/safebuild.yml": cfg("pr") });
    expect(await choose({ cwd: ws })).toEqual({
      target: undefined,
      trust: "operator",
      display: undefined,
      notes: [
        "config: ignored src/safebuild.yml: a config in the build context is not used unless you opt in (--trust-context-config, or --config src/safebuild.yml)",
      ],
    });
  });

  test("the current directory's file outside the repository: the operator's, and the context's is named as ignored", async () => {
    const ws = workspace({ "safebuild.yml": cfg("operator"), "src/safebuild.yml": cfg("pr") });
    expect(await choose({ cwd: ws })).toEqual({
      target: "operator",
      trust: "operator",
      display: "safebuild.yml",
      notes: ["config: using safebuild.yml; ignored src/safebuild.yml in the build context (to use it instead: --config src/safebuild.yml)"],
    });
  });

  test("--config outside the repository: the operator's; a note names the file not read", async () => {
    const ws = workspace({ "trusted/safebuild.yml": cfg("trusted"), "src/safebuild.yml": cfg("pr") });
    expect(await choose({ cwd: ws, explicit: "trusted/safebuild.yml" })).toEqual({
      target: "trusted",
      trust: "operator",
      display: "trusted/safebuild.yml",
      notes: ["config: using --config trusted/safebuild.yml; not reading src/safebuild.yml"],
    });
  });

  test("--config naming the context's file: used, as a repository config", async () => {
    const ws = workspace({ "src/safebuild.yml": cfg("pr") });
    expect(await choose({ cwd: ws, explicit: "src/safebuild.yml" })).toMatchObject({ target: "pr", trust: "repository", notes: [] });
  });

  test("--config naming the context's file through a symlink outside the repository: still the repository's", async () => {
    const ws = workspace({ "src/safebuild.yml": cfg("pr") });
    symlinkSync(join(ws, "src/safebuild.yml"), join(ws, "trusted/link.yml"));
    expect(await choose({ cwd: ws, explicit: "trusted/link.yml" })).toMatchObject({ target: "pr", trust: "repository" });
  });

  test("the repository's own symlink pointing out of it: judged by where it was found (repository)", async () => {
    const ws = workspace({ "trusted/safebuild.yml": cfg("trusted") });
    symlinkSync(join(ws, "trusted/safebuild.yml"), join(ws, "src/safebuild.yml"));
    expect(await choose({ cwd: ws, trustContext: true })).toMatchObject({ target: "trusted", trust: "repository" });
  });

  test("--trust-context-config: the context's file, as a repository config; the cwd's named as not read", async () => {
    const ws = workspace({ "safebuild.yml": cfg("operator"), "src/safebuild.yaml": cfg("pr") });
    expect(await choose({ cwd: ws, trustContext: true })).toEqual({
      target: "pr",
      trust: "repository",
      display: "src/safebuild.yaml",
      notes: ["config: using src/safebuild.yaml (--trust-context-config); not reading safebuild.yml"],
    });
  });

  test("--trust-context-config with no file in the context: the cwd's, as usual", async () => {
    const ws = workspace({ "safebuild.yml": cfg("operator") });
    expect(await choose({ cwd: ws, trustContext: true })).toMatchObject({ target: "operator", trust: "operator", notes: [] });
  });

  test("the current directory is the context (`safebuild .` in a checkout): a repository config, no note", async () => {
    const ws = workspace({ "src/safebuild.yml": cfg("pr") });
    expect(await choose({ cwd: join(ws, "src"), contextDir: "." })).toEqual({ target: "pr", trust: "repository", display: "safebuild.yml", notes: [] });
  });

  test("the current directory inside the context: its file is the repository's; the context's own is ignored", async () => {
    const ws = workspace({ "src/app/sub/safebuild.yml": cfg("sub"), "src/app/safebuild.yml": cfg("app") });
    const choice = await choose({ cwd: join(ws, "src/app/sub"), contextDir: ".." });
    expect(choice).toMatchObject({ target: "sub", trust: "repository" });
    expect(choice.notes).toEqual([expect.stringMatching(/^config: using safebuild\.yml; ignored .*app\/safebuild\.yml in the build context/)]);
  });

  test("outside the context but inside its checkout (the .git root): the repository's", async () => {
    const ws = workspace({ "src/safebuild.yml": cfg("checkout-root") });
    expect(await choose({ cwd: join(ws, "src"), contextDir: "app" })).toMatchObject({ target: "checkout-root", trust: "repository", notes: [] });
  });

  test("a context with no checkout around it: a file in a folder above it is the same source tree's (a tarball's top), a repository config", async () => {
    const ws = workspace({ "trusted/safebuild.yml": cfg("tarball") });
    mkdirSync(join(ws, "trusted/ctx"));
    expect(await choose({ cwd: join(ws, "trusted"), contextDir: "ctx" })).toMatchObject({ target: "tarball", trust: "repository" });
    // beside it, not above it: the operator's
    mkdirSync(join(ws, "elsewhere"));
    expect(await choose({ cwd: join(ws, "trusted"), contextDir: "../elsewhere" })).toMatchObject({ target: "tarball", trust: "operator" });
  });

  test("a checkout between the file's folder and the context: the file is outside it, the operator's", async () => {
    const ws = workspace({ "safebuild.yml": cfg("operator") });
    expect(await choose({ cwd: ws, contextDir: "src/app" })).toMatchObject({ target: "operator", trust: "operator" });
  });

  test("a remote context (no local folder) from inside a checkout: the checkout's file is a repository config", async () => {
    const ws = workspace({ "src/safebuild.yml": cfg("pr") });
    expect(await choose({ cwd: join(ws, "src"), contextDir: undefined })).toMatchObject({ target: "pr", trust: "repository" });
    // from a folder that is no checkout: the operator's
    expect(await choose({ cwd: join(ws, "trusted"), contextDir: undefined })).toMatchObject({ trust: "operator" });
  });

  test("a context that is a symlink in the checkout pointing out of it: the checkout's file is still a repository config", async () => {
    const ws = workspace({ "src/safebuild.yml": cfg("pr") });
    const outside = mkdtempSync(join(root, "outside-"));
    symlinkSync(outside, join(ws, "src/linked"));
    expect(await choose({ cwd: join(ws, "src"), contextDir: "linked" })).toMatchObject({ target: "pr", trust: "repository" });
  });

  test("a context that is a submodule (its .git a file): the superproject's file is a repository config", async () => {
    const ws = workspace({ "src/safebuild.yml": cfg("pr") });
    mkdirSync(join(ws, "src/vendor/lib"), { recursive: true });
    writeFileSync(join(ws, "src/vendor/lib/.git"), "gitdir: ../../.git/modules/lib\n");
    expect(await choose({ cwd: join(ws, "src"), contextDir: "vendor/lib" })).toMatchObject({ target: "pr", trust: "repository" });
  });

  test("nothing anywhere", async () => {
    const ws = workspace({});
    expect(await choose({ cwd: ws })).toEqual({ target: undefined, trust: "operator", display: undefined, notes: [] });
  });

  test("an ignored file is never opened (a symlink to /dev/zero would never end)", async () => {
    const ws = workspace({ "safebuild.yml": cfg("operator") });
    symlinkSync("/dev/zero", join(ws, "src/safebuild.yml"));
    expect(await choose({ cwd: ws })).toMatchObject({ target: "operator", trust: "operator" });
  }, 5_000);

  test.each([
    ["--config and --trust-context-config", { explicit: "trusted/safebuild.yml", trustContext: true }, /^--config and --trust-context-config: give one/],
    ["a missing --config", { explicit: "nope.yml" }, /^--config nope\.yml: no such file$/],
    ["a config that is not a regular file", { explicit: "dev-zero.yml" }, /dev-zero\.yml: not a regular file$/],
  ])("%s: exit 2", async (_name, options, message) => {
    const ws = workspace({ "trusted/safebuild.yml": cfg("trusted") });
    symlinkSync("/dev/zero", join(ws, "dev-zero.yml"));
    const error = await loadConfig({ contextDir: "src", cwd: ws, ...options }).catch((e: unknown) => e);
    expect(isSafebuildError(error) && error.exitCode).toBe(2);
    expect((error as Error).message).toMatch(message);
  });
});
