import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { noEngineHint } from "../../src/buildkit/detect.js";
import { cliPath, recordRun, repoRoot } from "../helpers/cli.js";
import { DOCKER } from "./cli.js";

// When no engine answers, the hint fits how safebuild runs (issue 18): a checkout has
// scripts/ci-docker.sh to set one up; an installed package ships only dist/, so telling its
// user to run a script "from a safebuild checkout" sends them looking for files they lack.
const hasCli = existsSync(DOCKER);
if (!hasCli && process.env["CI"] === "true") throw new Error(`CI=true but there is no docker CLI at ${DOCKER}`);
const work = mkdtempSync(join(tmpdir(), "sbtest-install-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The layout `npm install -g` leaves: PREFIX/lib/node_modules/safebuild with package.json and dist/ only ("files"). */
function installedCopy(): string {
  const pkg = join(work, "prefix", "lib", "node_modules", "safebuild");
  mkdirSync(pkg, { recursive: true });
  cpSync(join(repoRoot, "package.json"), join(pkg, "package.json"));
  cpSync(join(repoRoot, "dist"), join(pkg, "dist"), { recursive: true });
  // its dependencies, as npm would have installed them
  symlinkSync(join(repoRoot, "node_modules"), join(pkg, "node_modules"));
  return join(pkg, "dist", "bin", "safebuild.cjs");
}

function buildWithoutEngine(bin: string): { code: number | null; stderr: string } {
  const context = mkdtempSync(join(work, "ctx-"));
  writeFileSync(join(context, "Dockerfile"), "FROM local/busybox:1\n");
  const args = ["build", "--docker", DOCKER, context];
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: work,
    env: { PATH: process.env["PATH"], HOME: work, SAFEBUILD_CACHE_DIR: "", DOCKER_HOST: `unix://${join(work, "no-engine.sock")}` },
    encoding: "buffer",
  });
  recordRun(args, r.stdout, r.stderr, []);
  return { code: r.status, stderr: r.stderr.toString() };
}

describe.runIf(hasCli)("the hint when no engine answers fits how safebuild was installed", () => {
  test("from a checkout: the checkout's own setup script, by its path", () => {
    const run = buildWithoutEngine(cliPath);
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toMatch(/no Docker engine answers the docker CLI/);
    expect(run.stderr).toContain(`bash ${join(repoRoot, "scripts", "ci-docker.sh")}`);
  });

  test("installed (npm install -g layout, no scripts/): what to install and start, no checkout script", () => {
    const run = buildWithoutEngine(installedCopy());
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toMatch(/no Docker engine answers the docker CLI/);
    expect(run.stderr).not.toMatch(/ci-docker\.sh|checkout/);
    expect(run.stderr).toMatch(/apt-get install docker\.io/);
  });

  test("the two hints", () => {
    expect(noEngineHint("/src/safebuild/scripts/ci-docker.sh")).toContain("`bash /src/safebuild/scripts/ci-docker.sh` (as root) from this checkout");
    expect(noEngineHint(undefined)).not.toContain("scripts/");
  });
});
