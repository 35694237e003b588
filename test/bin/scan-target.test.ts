import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { SCAN_VALUE_OPTIONS, scanImageArgument, scansEngineImage } from "../../src/bin/scan-target.js";
import { runCli } from "../helpers/cli.js";

const work = mkdtempSync(join(tmpdir(), "sbtest-scan-target-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
writeFileSync(join(work, "image.tar"), "");
const engine = { DOCKER_HOST: "unix:///var/run/docker.sock" };

describe("the launcher's reading of `scan ARGS`", () => {
  test("the image is the first argument that is neither an option nor an option's value", () => {
    expect(scanImageArgument(["--secret", "app:1", "--format", "json", "app:2"])).toBe("app:2");
    expect(scanImageArgument(["--secret=a=b", "app:3", "--platform", "linux/arm64"])).toBe("app:3");
    expect(scanImageArgument(["--", "-odd"])).toBe("-odd");
    expect(scanImageArgument(["--secret", "x"])).toBeUndefined();
  });

  test("a reader thread is started ahead only for an image safebuild reads from the engine's export itself", () => {
    const noStorage = join(work, "no-layerdb");
    expect(scansEngineImage(["scan", "--secret", "t=env:T", "app:1"], engine, work, noStorage)).toBe(true);
    expect(scansEngineImage(["scan", "docker:image.tar"], engine, work, noStorage)).toBe(true);
    expect(scansEngineImage(["scan", "image.tar", "--secret", "t=env:T"], engine, work, noStorage)).toBe(false);
    expect(scansEngineImage(["scan", "oci:layout"], engine, work, noStorage)).toBe(false);
    expect(scansEngineImage(["scan", "app:1"], { DOCKER_HOST: "ssh://me@host" }, work, noStorage)).toBe(false);
    expect(scansEngineImage(["build", "app:1"], engine, work, noStorage)).toBe(false);
  });

  test("none when the engine's storage looks readable to root (no export to read), unless the export is forced", () => {
    // only root reads the storage (engine-images.ts): any other user reads the export
    expect(scansEngineImage(["scan", "app:1"], engine, work, work)).toBe(process.geteuid?.() !== 0);
    expect(scansEngineImage(["scan", "app:1"], { ...engine, SAFEBUILD_ENGINE_READ: "export" }, work, work)).toBe(true);
  });

  // A value option added to `scan` must be added here too, or its value could pass for the image.
  test("knows every option of `scan` that takes a value", async () => {
    const run = await runCli(["scan", "--help"], {});
    const taking = [...run.stdout.toString().matchAll(/(--[a-z-]+) <[a-z]+>/g)].map((m) => m[1]);
    expect(new Set(taking)).toEqual(SCAN_VALUE_OPTIONS);
  });
});
