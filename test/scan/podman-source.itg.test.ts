import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runCli } from "../helpers/cli.js";

// `scan podman:IMAGE`: images in podman's own storage, built here by the real `podman build
// --secret` (scripts/ci-deps.sh installs podman; busybox-static gives the base its shell).
const PODMAN = "podman";
const has = spawnSync(PODMAN, ["--version"], { stdio: "ignore" }).status === 0;
const BUSYBOX = ["/bin/busybox", "/usr/bin/busybox"].find((p) => spawnSync(p, ["true"], { stdio: "ignore" }).status === 0);
if (process.env["CI"] === "true" && (!has || BUSYBOX === undefined)) throw new Error("CI=true but podman or busybox is missing: run bash scripts/ci-deps.sh");
const run = Math.random().toString(36).slice(2, 8);
const leaky = `localhost/sbtest-podman-leaky-${run}:1`;
const clean = `localhost/sbtest-podman-clean-${run}:1`;
const work = mkdtempSync(join(tmpdir(), "sbtest-podman-"));
const value = `sbpodman-${randomBytes(18).toString("base64url")}`;
const secretFile = join(work, "token");

interface Report {
  image: { ref: string; id: string | null };
  findings: { where: string; path: string; encoding: string; layer: { index: number; createdBy: string | null } | null }[];
}

const build = (tag: string, steps: readonly string[]): void => {
  writeFileSync(join(work, "Containerfile"), ["FROM scratch", "COPY busybox /bin/busybox", 'RUN ["/bin/busybox", "--install", "-s", "/bin"]', ...steps].join("\n"));
  const built = spawnSync(PODMAN, ["build", "-q", "--secret", `id=token,src=${secretFile}`, "-t", tag, "-f", join(work, "Containerfile"), work], { encoding: "utf8" });
  expect(built.status, built.stderr).toBe(0);
};

const scan = (ref: string) => runCli(["scan", ref, "--secret", `token=${secretFile}`, "--format", "json"], { secrets: [value] });

describe.skipIf(!has || BUSYBOX === undefined)("scan podman:IMAGE, built by the real podman", () => {
  beforeAll(() => {
    writeFileSync(secretFile, `${value}\n`);
    copyFileSync(BUSYBOX!, join(work, "busybox"));
    build(leaky, ["RUN --mount=type=secret,id=token cp /run/secrets/token /etc/app-token"]);
    build(clean, ["RUN --mount=type=secret,id=token wc -c /run/secrets/token > /etc/token-size"]);
  }, 300_000);
  afterAll(() => {
    spawnSync(PODMAN, ["rmi", "-f", leaky, clean], { stdio: "ignore" });
    rmSync(work, { recursive: true, force: true });
  });

  test("a secret a RUN copied into the image: found in its layer, exit 1, the image id podman gives", async () => {
    const cli = await scan(`podman:${leaky}`);
    expect(cli.code, cli.stderr.toString()).toBe(1);
    expect(cli.output).not.toContain(value);
    const report = JSON.parse(cli.stdout.toString()) as Report;
    const id = spawnSync(PODMAN, ["image", "inspect", "--format", "{{.Id}}", leaky], { encoding: "utf8" }).stdout.trim();
    expect(report.image.id).toBe(`sha256:${id}`);
    expect(report.findings).toContainEqual(expect.objectContaining({ where: "file", path: "etc/app-token", encoding: "raw", layer: expect.objectContaining({ index: 2 }) }));
  });

  test("the secret used the right way: clean, exit 0", async () => {
    const cli = await scan(`podman:${clean}`);
    expect(cli.code, cli.stderr.toString()).toBe(0);
    expect((JSON.parse(cli.stdout.toString()) as Report).findings).toEqual([]);
  });

  test("an image podman does not have: one line, exit 2; no podman at all: one line, exit 4 (environment)", async () => {
    const missing = await scan(`podman:localhost/sbtest-nope-${run}:1`);
    expect(missing.code).toBe(2);
    expect(missing.stderr.toString().trim().split("\n").at(-1)).toBe(`safebuild: no such image in podman's storage: localhost/sbtest-nope-${run}:1`);
    expect(missing.stdout.toString()).toBe("");
    const none = await runCli(["scan", `podman:${clean}`, "--secret", `token=${secretFile}`], { env: { PATH: "/nonexistent" }, secrets: [value] });
    expect(none.code).toBe(4);
    expect(none.stderr.toString()).toMatch(/podman is not installed/);
  });
});
