import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { engineAnswers } from "../build/cli.js";
import { dockerArchive, tarOf } from "../helpers/archives.js";
import { runCli } from "../helpers/cli.js";

const DOCKER = "/usr/bin/docker";
const run = Math.random().toString(36).slice(2, 8);
const tag = `sbtest-hard-links-${run}:1`;
const work = mkdtempSync(join(tmpdir(), "sbtest-hard-links-"));
const value = `sbitg-${randomBytes(18).toString("base64url")}`;
const secretFile = join(work, "token");

interface Report {
  findings: { path: string; where: string; deleted: boolean; visibleAt?: string[]; layer: { index: number } | null }[];
}
const files = (report: Report): [number | undefined, string, boolean, string[] | undefined][] =>
  report.findings.filter((f) => f.where === "file").map((f) => [f.layer?.index, f.path, f.deleted, f.visibleAt]);

// Under CI=true a missing engine throws here: these tests run or fail, never skip.
const up = engineAnswers();

describe.skipIf(!up)("a deleted file still reachable through a hard link is not reported as deleted only", () => {
  beforeAll(() => {
    writeFileSync(secretFile, value);
    const ctx = join(work, "ctx");
    mkdirSync(ctx);
    writeFileSync(join(ctx, "leak.txt"), `${value}\n`);
    // What the engine really writes: linking a lower layer's file copies it up, so the RUN's
    // layer holds the file and its link (a hard link entry); removing the file in a later step
    // whites out its name only, and the link keeps the bytes.
    writeFileSync(join(ctx, "Dockerfile"), ["FROM local/busybox:1", "COPY leak.txt /srv/a", "RUN ln /srv/a /srv/b", "RUN rm /srv/a"].join("\n"));
    execFileSync(DOCKER, ["build", "-q", "-t", tag, ctx], { env: { ...process.env, DOCKER_BUILDKIT: "1" }, stdio: "ignore" });
  }, 300_000);
  afterAll(() => {
    spawnSync(DOCKER, ["rmi", "-f", tag], { stdio: "ignore" });
    rmSync(work, { recursive: true, force: true });
  });

  test("an engine build: ln in one step, rm in the next", async () => {
    const cli = await runCli(["scan", tag, "--secret", `token=${secretFile}`, "--format", "json"], { cwd: work, secrets: [value] });
    expect(cli.code).toBe(1);
    const found = files(JSON.parse(cli.stdout.toString()) as Report);
    // the COPY's layer: that copy is deleted, the value is still visible at the link
    expect(found).toContainEqual([1, "srv/a", true, ["srv/b"]]);
    // the ln step's layer: the file under its deleted name is the file the link shows
    expect(found).toContainEqual([2, "srv/a", false, ["srv/b"]]);
    const text = await runCli(["scan", tag, "--secret", `token=${secretFile}`], { cwd: work, secrets: [value] });
    expect(text.output).toContain("still visible at srv/b");
  });

  test("hand-made layers: links of links, a link replaced, a link deleted too", async () => {
    const data = Buffer.from(`token=${value}\n`);
    const lower = await tarOf([
      { name: "app/", type: "directory" },
      { name: "app/key", data },
      { name: "app/link1", type: "link", linkname: "app/key" },
      { name: "app/link2", type: "link", linkname: "app/link1" },
      { name: "app/gone", type: "link", linkname: "app/key" },
      { name: "app/replaced", type: "link", linkname: "app/key" },
      { name: "app/replaced", data: Buffer.from("clean\n") },
      { name: "etc/only", data },
    ]);
    const upper = await tarOf([
      { name: "app/.wh.key", data: Buffer.alloc(0) },
      { name: "app/.wh.gone", data: Buffer.alloc(0) },
      { name: "etc/.wh.only", data: Buffer.alloc(0) },
    ]);
    const file = join(work, "links.tar");
    writeFileSync(file, await dockerArchive([lower, upper]));
    const cli = await runCli(["scan", file, "--secret", `token=${secretFile}`, "--format", "json"], { cwd: work, secrets: [value] });
    expect(cli.code).toBe(1);
    expect(files(JSON.parse(cli.stdout.toString()) as Report).sort()).toEqual([
      [0, "app/key", false, ["app/link1", "app/link2"]],
      // no link of its own: deleted, and the same value is visible through app/key's links
      [0, "etc/only", true, ["app/link1", "app/link2"]],
    ]);
  });
});
