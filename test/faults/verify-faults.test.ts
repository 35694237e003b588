import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { dockerArchive, sha256Digest, tarOf } from "../helpers/archives.js";
import { repoRoot, runCli } from "../helpers/cli.js";
import { messageLines, neutralEnv, noStackTrace, randomSecret } from "./fault-kit.js";
import { archiveImageId, startFakeEngine } from "./fake-engine.js";

// A party between safebuild and the image (a proxy on the engine's tcp port, a swapped tarball)
// hands the audit other bytes than the image asked for: never a clean report.
const work = mkdtempSync(join(tmpdir(), "engine-tls-verify-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const images = join(repoRoot, "test/fixtures/images");

const secret = randomSecret("sbverify");
const leakyLayer = await tarOf([{ name: "app/token", data: Buffer.from(`t=${secret}\n`) }]);
const cleanLayer = await tarOf([{ name: "app/token", data: Buffer.from("t=nothing to see\n") }]);
// the leaky image's own config (its diff_id names the leaky layer), with the clean layer's bytes in its place
const swapped = join(work, "swapped.tar");
writeFileSync(swapped, await dockerArchive([cleanLayer], { rootfs: { type: "layers", diff_ids: [sha256Digest(leakyLayer)] } }));
const leaky = join(work, "leaky.tar");
writeFileSync(leaky, await dockerArchive([leakyLayer]));
const clean = join(work, "clean.tar");
writeFileSync(clean, await dockerArchive([cleanLayer]));

async function scanEngine(archive: string, id: string | undefined): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const engine = await startFakeEngine(work, archive, "whole", id === undefined ? {} : { id });
  try {
    const run = await runCli(["scan", "docker:sbtest-verify:1", "--secret", "s=env:SBTEST_VERIFY", "--format", "json"], {
      env: { ...neutralEnv, DOCKER_HOST: engine.host, SBTEST_VERIFY: secret },
      secrets: [secret],
      timeoutMs: 60_000,
    });
    return { code: run.code, stderr: run.stderr.toString(), stdout: run.stdout.toString() };
  } finally {
    await engine.close();
  }
}

describe("an engine export is the image inspected, or exit 4", () => {
  test("the leaky image, honestly exported: exit 1 (the checks pass on the real thing)", async () => {
    const run = await scanEngine(leaky, undefined);
    expect(run.code, run.stderr).toBe(1);
  });

  test("a clean image handed over for the leaky one (its config is not the image id): exit 4, one line, no report", async () => {
    const run = await scanEngine(clean, archiveImageId(readFileSync(leaky)));
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).not.toMatch(noStackTrace);
    expect(messageLines(run.stderr), run.stderr).toEqual([
      expect.stringMatching(/^safebuild: docker:sbtest-verify:1: the engine's export is not the image inspected: its config is sha256:[0-9a-f]{64}, the image id sha256:[0-9a-f]{64}$/),
    ]);
    expect(run.stdout).toBe("");
  });

  test("the leaky image's config with a clean layer in its place: exit 4 naming the layer", async () => {
    const run = await scanEngine(swapped, undefined);
    expect(run.code, run.stderr).toBe(4);
    expect(messageLines(run.stderr), run.stderr).toEqual([
      expect.stringMatching(/^safebuild: .*: the engine's export is not the image inspected: layer 0 \(\S+\/layer\.tar\) unpacks to sha256:\S+, its diff_id is sha256:/),
    ]);
    expect(run.stdout).toBe("");
  });
});

describe("a file whose bytes do not match its own digests is corrupt: exit 2", () => {
  test("a docker-archive with a layer that is not its diff_id", async () => {
    const run = await runCli(["scan", swapped, "--secret", "s=env:SBTEST_VERIFY"], { env: { ...neutralEnv, SBTEST_VERIFY: secret }, secrets: [secret] });
    expect(run.code, run.stderr.toString()).toBe(2);
    expect(messageLines(run.stderr.toString())).toEqual([expect.stringMatching(/: corrupt image: layer 0 .* its diff_id is sha256:/)]);
  });

  test("an OCI layout whose layer blob was replaced (same name, other bytes)", async () => {
    const dir = join(work, "oci");
    cpSync(join(images, "clean.oci"), dir, { recursive: true });
    const blobs = join(dir, "blobs", "sha256");
    const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as { manifests: { digest: string }[] };
    const manifest = JSON.parse(readFileSync(join(blobs, index.manifests[0]!.digest.slice(7)), "utf8")) as { layers: { digest: string }[] };
    const layer = manifest.layers[0]!.digest.slice(7);
    expect(readdirSync(blobs)).toContain(layer);
    writeFileSync(join(blobs, layer), leakyLayer);
    const run = await runCli(["scan", `oci:${dir}`, "--secret", "s=env:SBTEST_VERIFY"], { env: { ...neutralEnv, SBTEST_VERIFY: secret }, secrets: [secret] });
    expect(run.code, run.stderr.toString()).toBe(2);
    expect(messageLines(run.stderr.toString())).toEqual([expect.stringMatching(new RegExp(`: corrupt image: layer 0 \\(blobs/sha256/${layer}\\) is sha256:[0-9a-f]{64}, named sha256:${layer}$`))]);
  });
});
