import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { makeFakeDocker } from "../buildkit/fake-docker.js";
import { CLI, runCli } from "./cli.js";

// Issue 18 ("the first hour"), each point as the mistake a user makes, through the real CLI
// (dist) and a fake docker that records what a real one would have received.
const fake = makeFakeDocker();
const work = mkdtempSync(join(tmpdir(), "sbtest-cli-contract-"));
const shm = mkdtempSync(join(tmpdir(), "sbtest-cli-contract-root-"));
const value = `v-${randomBytes(18).toString("base64url")}`;
const secretFile = join(work, ".npmrc");
const env = { PATH: process.env["PATH"], SAFEBUILD_TMPDIR: shm, FAKE_DOCKER_LOG: fake.logFile };

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build`);
  writeFileSync(join(work, "Dockerfile"), "FROM scratch\nRUN --mount=type=secret,id=npmrc true\n");
  writeFileSync(secretFile, value);
});
afterAll(() => {
  fake.cleanup();
  rmSync(work, { recursive: true, force: true });
  rmSync(shm, { recursive: true, force: true });
});

const run = (args: readonly string[], extraEnv: Record<string, string> = {}) => {
  rmSync(fake.logFile, { force: true });
  return runCli(args, { env: { ...env, ...extraEnv }, cwd: work, secrets: [value] });
};
const buildArgv = (): string[] => fake.calls().find((c) => c.argv[0] === "build")?.argv ?? [];
const base = ["build", "--docker", fake.path, "--no-scan", "--secret", "npmrc=.npmrc"];
const lines = (text: string): string[] => text.split("\n").filter((l) => l !== "");

describe("-o/--output keeps docker's meaning on build", () => {
  test.each([
    ["type=local,dest=out", /^safebuild: -o type=local,dest=out: the local exporter writes the result's files, not an image the audit can read; safebuild audits the image/],
    ["type=tar,dest=out.tar", /^safebuild: -o type=tar,dest=out\.tar: the tar exporter writes/],
    ["out", /^safebuild: -o out: writes the result as files in out, not an image/],
    ["type=registry,name=r/app", /^safebuild: -o type=registry,name=r\/app: it pushes before the audit/],
    ["type=image,push=true", /it pushes before the audit/],
    ["type=oci,dest=app.tar", /writes an image tarball the engine never loads/],
    ["type=bogus", /unknown exporter type "bogus"/],
  ])("-o %s is refused in one line, exit 2, before the builder runs, no file written", async (spec, message) => {
    const result = await run([...base, "-o", spec, "."]);
    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(message);
    expect(fake.calls().filter((c) => c.argv[0] === "build")).toEqual([]);
    expect(readdirSync(work).sort()).toEqual([".npmrc", "Dockerfile"]);
  });

  test("-o type=docker,name=app:2 on docker 20.10's builder: its default export, name= becomes a tag", async () => {
    const result = await run([...base, "--output", "type=docker,name=app:2", "."]);
    expect(result.code, result.stderr).toBe(0);
    expect(buildArgv()).toEqual(expect.arrayContaining(["--tag", "app:2"]));
    expect(buildArgv()).not.toContain("--output");
    expect(readdirSync(work).sort()).toEqual([".npmrc", "Dockerfile"]);
  });

  test("-o type=docker reaches buildx as typed, without --load", async () => {
    const settings = { FAKE_DOCKER_CLIENT: "28.2.2", FAKE_DOCKER_BUILDX: "1" };
    const config = mkdtempSync(join(work, "docker-config-"));
    writeFileSync(join(config, "fake-docker.json"), JSON.stringify(settings));
    const result = await run([...base, "-o", "type=docker", "."], { ...settings, DOCKER_CONFIG: config });
    expect(result.code, result.stderr).toBe(0);
    const argv = fake.calls().find((c) => c.argv[1] === "build")?.argv ?? [];
    expect(argv).toEqual(expect.arrayContaining(["--output", "type=docker"]));
    expect(argv).not.toContain("--load");
  });
});

describe("builder flags after --", () => {
  test.each([
    [["--secret", "id=npmrc,src=.npmrc"], /^safebuild: --secret after --: the secret would reach the builder unresolved, unchecked and unknown to the audit; give it before --\n$/],
    [["--secret=id=x,src=f"], /^safebuild: --secret after --/],
    [["-o", "type=local,dest=out"], /^safebuild: -o after --/],
    [["--output=type=tar,dest=x"], /^safebuild: --output after --/],
    [["--push"], /^safebuild: --push after --: the image would be pushed before the audit; give --push before -- \(safebuild pushes after a clean scan\)\n$/],
  ])("%j is refused (exit 2): it would bypass the audit", async (after, message) => {
    const result = await run([...base, ".", "--", ...after]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(fake.calls().filter((c) => c.argv[0] === "build")).toEqual([]);
  });

  test("a builder usage error (docker exits 125) is exit 2, not 3", async () => {
    const result = await run([...base, ".", "--", "--bogus"], { FAKE_DOCKER_BUILD_EXIT: "125" });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/safebuild: the builder rejected its arguments: .* exited with status 125 \(see its message above; check the flags after --\)\n$/);
  });
});

describe("docker build flags users type", () => {
  test("--ssh, --cache-from, --network, --add-host, --progress pass with docker's meaning", async () => {
    const result = await run([...base, "--ssh", "default", "--cache-from", "app:cache", "--network", "none", "--add-host", "h:1.2.3.4", "--progress=plain", "."]);
    expect(result.code, result.stderr).toBe(0);
    const argv = buildArgv();
    expect(argv.join(" ")).toContain("--ssh default --cache-from app:cache --network none --add-host h:1.2.3.4");
    expect(argv.filter((a) => a.startsWith("--progress"))).toEqual(["--progress=plain"]);
  });

  test("--cache-to on docker 20.10's builder is refused with the reason", async () => {
    const result = await run([...base, "--cache-to", "type=local,dest=c", "."]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/safebuild: --cache-to needs docker buildx; docker 20\.10\.24's built-in builder .* has no cache export\n$/);
  });

  test("-q: no build log on success, the image id on stdout; the log is shown when the build fails", async () => {
    const quiet = await run([...base, "-q", "."]);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).not.toContain("load build definition");
    expect(quiet.stdout).toBe(`sha256:${"ab".repeat(32)}\n`);
    const failed = await run([...base, "--quiet", "."], { FAKE_DOCKER_BUILD_EXIT: "1" });
    expect(failed.code).toBe(3);
    expect(failed.stderr).toContain("#5 ERROR: process did not complete successfully");
  });
});

describe("mistakes with a way out", () => {
  test("a bare safebuild prints help on stderr and exits 2 (it used to build . checking nothing)", async () => {
    const result = await run([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Usage: safebuild [options] [command]");
    expect(result.stderr).toContain("'build' is the default command");
    expect(fake.calls()).toEqual([]);
  });

  test("with options and no context it still builds .", async () => {
    const result = await run(["--docker", fake.path, "--no-scan", "--secret", "npmrc=.npmrc"]);
    expect(result.code, result.stderr).toBe(0);
    expect(buildArgv().at(-1)).toBe(".");
  });

  test.each([
    [["scna", "img"], "safebuild: unknown command 'scna'. Did you mean 'scan'?"],
    [["biuld", "."], "safebuild: unknown command 'biuld'. Did you mean 'build'?"],
    [["chekc"], "safebuild: unknown command 'chekc'. Did you mean 'check'?"],
  ])("%j gets did-you-mean, exit 2", async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(lines(result.stderr)).toHaveLength(1);
  });

  test("a directory named like a typo is still a build context", async () => {
    const dir = join(work, "biuld");
    writeFileSync(join(work, "biuld.txt"), "");
    rmSync(join(work, "biuld.txt"));
    const { mkdirSync } = await import("node:fs");
    mkdirSync(dir);
    writeFileSync(join(dir, "Dockerfile"), "FROM scratch\nRUN --mount=type=secret,id=npmrc true\n");
    try {
      const result = await run(["biuld", "--docker", fake.path, "--no-scan", "--secret", "npmrc=.npmrc"]);
      expect(result.code, result.stderr).toBe(0);
      expect(buildArgv().at(-1)).toBe("biuld");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("--secret id=npmrc,src=.npmrc,typo=1 is an unknown key, not a file named so", async () => {
    const result = await run([...base.slice(0, -2), "--secret", "id=npmrc,src=.npmrc,typo=1", "."]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'safebuild: --secret "id=npmrc,src=.npmrc,typo=1": unknown key "typo" (did you mean type?); the docker form knows type, id, src, source, env\n',
    );
  });

  test("a mistyped secret id against the Dockerfile's mounts: did-you-mean, exit 2, nothing built", async () => {
    const result = await run([...base.slice(0, -2), "--secret", "npmcr=.npmrc", "."]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('safebuild: --secret npmcr: no RUN mounts "npmcr"; did you mean "npmrc" (mounted at ./Dockerfile:2)?\n');
    expect(fake.calls().filter((c) => c.argv[0] === "build")).toEqual([]);
  });
});

describe("help", () => {
  test.each([["build"], ["scan"], ["check"]])("%s --help has examples and exit codes, --secret first", async (command) => {
    const result = await run([command, "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Examples:");
    expect(result.stdout).toMatch(/Exit codes:|Exit 0 when/);
    const firstOption = result.stdout.split("Options:\n")[1]?.split("\n")[0] ?? "";
    expect(firstOption).toMatch(/^\s+--secret <spec>/);
    expect(result.stdout).not.toContain("(default: [])");
  });

  test("top-level help names build as the default command and lists the exit codes", async () => {
    const result = await run(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("With no command, 'build' runs");
    expect(result.stdout).toContain("1   leak");
    expect(result.stdout.replace(/\s+/g, " ")).toMatch(/build \[options\] \[context\] build an image .*\(the default command\)/);
  });
});

describe("--push and --metadata-file: refused before the builder runs when they cannot work", () => {
  const scanned = ["build", "--docker", fake.path, "--secret", "npmrc=.npmrc"];
  test.each([
    [["--push", "."], /^safebuild: --push: no -t tag is given; tag the image HOST\[:PORT\]\/REPO\[:TAG\]/],
    [["--push", "-t", "app:1", "-t", "user/app:1", "."], /^safebuild: --push: no -t tag names a registry \(app:1, user\/app:1\)/],
    [["--push", "--no-scan", "-t", "r.example/app:1", "."], /^safebuild: --push with --no-scan: safebuild pushes only an image it audited/],
    [["--push", "-o", "type=docker", "-t", "r.example/app:1", "."], /^safebuild: --push with -o type=docker: .*drop -o/],
    [["--metadata-file", ".", "--no-scan", "."], /^safebuild: --metadata-file \.: is a directory; name a file/],
    [["--metadata-file", "missing/m.json", "--no-scan", "."], /^safebuild: --metadata-file missing\/m\.json: the folder missing does not exist/],
  ])("%j: exit 2, one line", async (args, message) => {
    const result = await run([...scanned, ...args]);
    expect(result.code, result.stderr).toBe(2);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(message);
    expect(fake.calls().filter((c) => c.argv[0] === "build")).toEqual([]);
  });

  test("--metadata-file without --push: the image id as docker's own exporter reports it, the tags as image.name, 0644", async () => {
    const result = await run([...base, "-t", "app:1", "-t", "app:2", "--metadata-file", "meta.json", "."]);
    expect(result.code, result.stderr).toBe(0);
    const id = `sha256:${"ab".repeat(32)}`;
    expect(JSON.parse(readFileSync(join(work, "meta.json"), "utf8"))).toEqual({ "containerimage.config.digest": id, "containerimage.digest": id, "image.name": "app:1,app:2" });
    rmSync(join(work, "meta.json"));
  });

  test("push: true in the build context's own config is not applied without --allow push (one warning line)", async () => {
    const ctx = join(work, "pushy");
    mkdirSync(ctx, { recursive: true });
    writeFileSync(join(ctx, "Dockerfile"), "FROM scratch\n");
    writeFileSync(join(ctx, "safebuild.yml"), "build:\n  tags: r.example/app:1\n  push: true\n");
    // Applied, push: true with --no-scan would be refused (exit 2); dropped, the build runs.
    const result = await run(["build", "--docker", fake.path, "--no-scan", "--trust-context-config", ctx]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/safebuild\.yml:3: push: true of a config inside the repository being built is not applied \(nothing is pushed\); add --allow push/);
    const allowed = await run(["build", "--docker", fake.path, "--no-scan", "--trust-context-config", "--allow", "push", ctx]);
    expect(allowed.code).toBe(2);
    expect(allowed.stderr).toMatch(/--push with --no-scan/);
  });
});
