import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runCli } from "../helpers/cli.js";
import { writeHostileImages } from "./hostile-images.js";

let dir: string;
let images: Record<string, string>;
const secret = Buffer.from(`hostile_${randomBytes(16).toString("base64url")}`);
let secretFile: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "sbtest-hostile-"));
  secretFile = path.join(dir, "secret");
  await writeFile(secretFile, secret);
  images = await writeHostileImages(dir, secret);
}, 120_000);
afterAll(async () => rm(dir, { recursive: true, force: true }));

async function scan(name: string): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const file = images[name];
  if (file === undefined) throw new Error(`no hostile image ${name}`);
  const run = await runCli(["scan", file, "--secret", `s=${secretFile}`, "--format", "json"], {
    secrets: [secret],
    timeoutMs: 90_000,
    // A scanner that buffers whole layers or configs would need far more than this.
    env: { NODE_OPTIONS: "--max-old-space-size=192" },
  });
  return { code: run.code, stderr: run.stderr.toString(), stdout: run.stdout.toString() };
}

describe("hostile or broken images are a one-line input error (exit 2), never a crash or a hang", () => {
  test.each([
    "truncated.tar",
    "truncated-in-header.tar",
    "garbage.bin",
    "empty.tar",
    "zeros.tar",
    "null-manifest.tar",
    "manifest-not-json.tar",
    "garbage.tar.gz",
    "truncated.tar.gz",
    "huge-size-header.tar",
    "absurd-pax.tar",
    "manifest-escapes.tar",
    "symlink-loop.tar",
    "huge-config.tar",
    "deep-config.tar",
    "layer-cut-in-gzip.tar",
  ])("%s", async (name) => {
    const { code, stderr } = await scan(name);
    expect(code, stderr).toBe(2);
    const lines = stderr.trim().split("\n").filter((l) => !l.includes("warning:"));
    expect(lines, stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^safebuild: /);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});

describe("odd but valid images still scan", () => {
  test("the reference archive finds its leak", async () => {
    const { code, stdout } = await scan("good.tar");
    expect(code).toBe(1);
    expect(JSON.parse(stdout).findings[0]).toMatchObject({ secret: "s", where: "file", path: "app/token" });
  });

  test("names with ../ and absolute paths are scanned as data and nothing is written outside", async () => {
    const before = await readdir(dir);
    const { code, stdout } = await scan("escaping-names.tar");
    expect(code).toBe(1);
    const paths = (JSON.parse(stdout).findings as { path: string }[]).map((f) => f.path);
    expect(paths.some((p) => p.endsWith("etc/evil"))).toBe(true);
    expect(await readdir(dir)).toEqual(before);
  });

  test("a gzip bomb inside a layer is bounded, and the real leak beside it is still found", async () => {
    const { code, stdout, stderr } = await scan("gzip-bomb-layer.tar");
    expect(code, stderr).toBe(1);
    expect((JSON.parse(stdout).findings as { path: string }[]).some((f) => f.path === "app/leak")).toBe(true);
  });

  test("thousands of PAX records are read without blowing up", async () => {
    const { code, stderr } = await scan("many-pax.tar");
    expect([0, 2], stderr).toContain(code);
  });
});
