import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { docker, engineAnswers } from "../build/cli.js";
import { tarOf } from "../helpers/archives.js";
import { runCli } from "../helpers/cli.js";
import { ociIndexArchive, provenance } from "../helpers/oci.js";
import { registryAvailable, startRegistry, type RegistryServer } from "../helpers/registry.js";
import { TOKEN } from "../scan/fixture-expectations.js";
import { fixtures } from "../scan/helpers.js";

// `scan registry:…` against the real distribution registry (no auth), images pushed by the
// real `docker push` and `skopeo copy`; the engine scan of the same image is the reference.
const up = engineAnswers() && registryAvailable();
const run = Math.random().toString(36).slice(2, 8);
const work = mkdtempSync(join(tmpdir(), "sbtest-regscan-"));
const value = `sbregitg-${randomBytes(18).toString("base64url")}`;
const env = { SB_TOKEN: `${TOKEN}\n`, SB_VALUE: value, DOCKER_CONFIG: join(work, "docker"), REGISTRY_AUTH_FILE: join(work, "none.json") };
const tags: string[] = [];

interface Finding {
  readonly secret: string;
  readonly where: string;
  readonly path: string;
  readonly encoding: string;
  readonly deleted: boolean;
  readonly container?: string;
  readonly layer: { readonly index: number; readonly digest: string; readonly createdBy: string } | null;
  readonly image?: { readonly index?: number; readonly platform?: string };
  readonly predicateType?: string;
}

async function scan(ref: string, secretEnv = "SB_TOKEN", extra: readonly string[] = []): Promise<{ code: number | null; findings: Finding[]; stderr: string; id: string }> {
  const result = await runCli(["scan", "--secret", `tok=env:${secretEnv}`, "--format", "json", ...extra, ref], { env, secrets: [TOKEN, value], timeoutMs: 120_000 });
  expect(result.stderr.toString()).not.toMatch(/internal error/);
  const report = result.stdout.length === 0 ? { findings: [], image: { id: "" } } : (JSON.parse(result.stdout.toString()) as { findings: Finding[]; image: { id: string } });
  return { code: result.code, findings: report.findings, stderr: result.stderr.toString(), id: report.image.id };
}

/** What a finding says about the leak, without the blob digest (a push recompresses layers). */
const shape = (f: Finding) => [f.secret, f.where, f.layer?.index ?? null, f.layer?.createdBy ?? null, f.path, f.encoding, f.deleted, f.container ?? null];

describe.skipIf(!up)("scan registry: against the real registry", () => {
  let registry: RegistryServer;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    if (tags.length > 0) spawnSync("docker", ["rmi", "-f", ...tags], { stdio: "ignore" });
    await registry?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test("the conformance image, pushed with docker push: the same findings as the engine scan of it", async () => {
    const loaded = docker(["load", "-q", "-i", join(fixtures, "leaky.docker.tar")]);
    expect(loaded.status, loaded.stderr).toBe(0);
    const id = /sha256:[0-9a-f]{64}|sbfixture:latest/.exec(loaded.stdout)?.[0] ?? "sbfixture:latest";
    const local = `sbtest-regscan-${run}:1`;
    const remote = `${registry.host}/conformance/leaky-${run}:1`;
    tags.push(local, remote);
    expect(docker(["tag", id, local]).status).toBe(0);
    expect(docker(["tag", id, remote]).status).toBe(0);
    const pushed = docker(["push", remote]);
    expect(pushed.status, pushed.stderr).toBe(0);

    const engine = await scan(local);
    const fromRegistry = await scan(`registry:${remote}`);
    expect(fromRegistry.code, fromRegistry.stderr).toBe(1);
    expect(engine.code).toBe(1);
    expect(fromRegistry.findings.map(shape).sort()).toEqual(engine.findings.map(shape).sort());
    expect(fromRegistry.findings.length).toBeGreaterThanOrEqual(10);
    // the config is the same bytes whichever way it came: the same image id
    expect(fromRegistry.id).toBe(engine.id);
    // the tag's digest names the same image
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(pushed.stdout)?.[1];
    expect(digest).toBeDefined();
    const byDigest = await scan(`registry:${registry.host}/conformance/leaky-${run}@${digest}`);
    expect(byDigest.findings.map(shape).sort()).toEqual(engine.findings.map(shape).sort());
    // no tag: :latest, as docker reads it (and there is none)
    const latest = await scan(`registry:${registry.host}/conformance/leaky-${run}`);
    expect(latest.code).toBe(2);
    expect(latest.stderr).toMatch(/leaky-[a-z0-9]+:latest: no such repository or tag \(MANIFEST_UNKNOWN\)/);
  });

  test("zstd and gzip OCI layers, pushed with skopeo copy: the conformance findings", async () => {
    for (const format of ["oci-zstd", "oci-gzip"]) {
      const target = `${registry.host}/conformance/${format}-${run}:1`;
      const copied = spawnSync("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", `oci-archive:${join(fixtures, `leaky.${format}.tar`)}`, `docker://${target}`], { encoding: "utf8" });
      expect(copied.status, copied.stderr).toBe(0);
      const fromRegistry = await scan(`registry:${target}`);
      const fromFile = await scan(join(fixtures, `leaky.${format}.tar`));
      expect(fromRegistry.code).toBe(1);
      expect(fromRegistry.findings.map(shape).sort()).toEqual(fromFile.findings.map(shape).sort());
    }
  });

  test("a multi-platform index with an attestation, pushed with skopeo copy --all: every platform and the provenance", async () => {
    const layer = async (files: Record<string, string>): Promise<Buffer> => tarOf(Object.entries(files).map(([name, text]) => ({ name, data: Buffer.from(text) })));
    const predicateType = "https://slsa.dev/provenance/v0.2";
    const archive = join(work, "multi.tar");
    writeFileSync(
      archive,
      await ociIndexArchive([
        { platform: { os: "linux", architecture: "amd64" }, layers: [await layer({ "app/config": "clean" })], attestations: [{ predicateType, statement: provenance({ TOKEN: value }) }] },
        { platform: { os: "linux", architecture: "arm64", variant: "v8" }, layers: [await layer({ "app/config": `token=${value}\n` })] },
      ]),
    );
    // skopeo reads one image per layout: the multi-platform index becomes a blob that index.json names
    const layout = join(work, "multi");
    mkdirSync(layout);
    expect(spawnSync("tar", ["-xf", archive, "-C", layout]).status).toBe(0);
    const index = readFileSync(join(layout, "index.json"));
    const digest = createHash("sha256").update(index).digest("hex");
    writeFileSync(join(layout, "blobs", "sha256", digest), index);
    const mediaType = "application/vnd.oci.image.index.v1+json";
    writeFileSync(join(layout, "index.json"), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType, digest: `sha256:${digest}`, size: index.length, annotations: { "org.opencontainers.image.ref.name": "1" } }] }));
    const target = `${registry.host}/multi/app-${run}:1`;
    const copied = spawnSync("skopeo", ["copy", "--quiet", "--all", "--preserve-digests", "--dest-tls-verify=false", `oci:${layout}:1`, `docker://${target}`], { encoding: "utf8" });
    expect(copied.status, copied.stderr).toBe(0);

    const all = await scan(`registry:${target}`, "SB_VALUE");
    expect(all.code, all.stderr).toBe(1);
    expect(all.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ where: "file", path: "app/config", image: { index: 1, platform: "linux/arm64/v8" } }),
        expect.objectContaining({ where: "attestation", path: "/predicate/invocation/parameters/args/build-arg:TOKEN", predicateType, image: expect.objectContaining({ platform: "linux/amd64" }) }),
      ]),
    );
    expect(all.findings).toHaveLength(2);
    const arm = await scan(`registry:${target}`, "SB_VALUE", ["--platform", "linux/arm64"]);
    expect(arm.findings.map((f) => f.where)).toEqual(["file"]);
    const amd = await scan(`registry:${target}`, "SB_VALUE", ["--platform", "linux/amd64"]);
    expect(amd.findings.map((f) => f.where)).toEqual(["attestation"]);
  });
});
