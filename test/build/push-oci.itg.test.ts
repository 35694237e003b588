import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { makeFakeDocker } from "../buildkit/fake-docker.js";
import { tarOf } from "../helpers/archives.js";
import { ociIndexArchive, provenance } from "../helpers/oci.js";
import { registryAvailable, startRegistry, type RegistryServer } from "../helpers/registry.js";
import { REPO, runCli } from "./cli.js";

// `build --push` with a buildx builder that is not the docker driver: the result is an OCI
// layout, scanned, then uploaded unchanged by the real skopeo to the real registry. buildx
// cannot run on this machine, so a stand-in docker CLI "builds" by copying a prepared layout.
const up = registryAvailable();
const fake = makeFakeDocker();
const work = mkdtempSync(join(tmpdir(), "sbtest-push-oci-"));
const context = join(work, "ctx");
const dockerConfig = join(work, "docker-config");
const temp = join(work, "tmp");
const FIXTURES = join(REPO, "test/fixtures/images");
const fixtureToken = readFileSync(join(FIXTURES, "TOKEN"), "utf8").trim();
const secret = `sboci-${randomBytes(18).toString("base64url")}`;
afterAll(() => {
  fake.cleanup();
  rmSync(work, { recursive: true, force: true });
});

const INDEX = "application/vnd.oci.image.index.v1+json";
const settings = { FAKE_DOCKER_CLIENT: "28.2.2", FAKE_DOCKER_BUILDX: "1" };

/** A layout as buildx's oci exporter writes a multi-platform result: index.json → one image index. */
async function multiPlatformLayout(name: string, armFile: string): Promise<string> {
  const layer = async (text: string): Promise<Buffer> => tarOf([{ name: "app/config", data: Buffer.from(text) }]);
  const flat = join(work, `${name}.tar`);
  writeFileSync(
    flat,
    await ociIndexArchive([
      { platform: { os: "linux", architecture: "amd64" }, layers: [await layer("clean\n")], attestations: [{ predicateType: "https://slsa.dev/provenance/v0.2", statement: provenance({ V: "1" }) }] },
      { platform: { os: "linux", architecture: "arm64", variant: "v8" }, layers: [await layer(armFile)] },
    ]),
  );
  const dir = join(work, name);
  mkdirSync(dir);
  expect(spawnSync("tar", ["-xf", flat, "-C", dir]).status).toBe(0);
  const inner = readFileSync(join(dir, "index.json"));
  const digest = `sha256:${spawnSync("sha256sum", { input: inner }).stdout.toString().slice(0, 64)}`;
  writeFileSync(join(dir, "blobs/sha256", digest.slice(7)), inner);
  writeFileSync(join(dir, "index.json"), JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests: [{ mediaType: INDEX, digest, size: inner.length }] }));
  return dir;
}

describe.runIf(up)("build --push through an OCI layout (buildx stand-in, real skopeo, real registry)", () => {
  let registry: RegistryServer;
  beforeAll(async () => {
    registry = await startRegistry();
    mkdirSync(context);
    mkdirSync(dockerConfig);
    mkdirSync(temp);
    writeFileSync(join(context, "Dockerfile"), "FROM scratch\n");
    writeFileSync(join(dockerConfig, "fake-docker.json"), JSON.stringify(settings));
  });
  afterAll(async () => {
    await registry?.stop();
  });

  const run = (layout: string, args: readonly string[], env: Record<string, string> = {}) => {
    rmSync(fake.logFile, { force: true });
    return runCli(["build", "--docker", fake.path, "--push", ...args, context], {
      env: { ...settings, DOCKER_CONFIG: dockerConfig, FAKE_DOCKER_LOG: fake.logFile, FAKE_DOCKER_OCI_FROM: layout, TMPDIR: temp, SB_OCI_TOKEN: secret, ...env },
      secrets: [secret, fixtureToken],
    });
  };
  const buildArgv = (): string[] => fake.calls().find((c) => c.argv[1] === "build")?.argv ?? [];
  const repoName = (): string => `sbtest/oci-${randomBytes(5).toString("hex")}`;
  const tagsStatus = async (repo: string): Promise<number> => (await fetch(`http://${registry.host}/v2/${repo}/tags/list`)).status;
  const head = async (repo: string, tag: string): Promise<string | null> =>
    (await fetch(`http://${registry.host}/v2/${repo}/manifests/${tag}`, { method: "HEAD", headers: { Accept: `${INDEX}, application/vnd.oci.image.manifest.v1+json` } })).headers.get("docker-content-digest");

  test("a leaky result is scanned in the layout and not pushed (exit 1); buildx wrote a layout, not --load; the layout is removed", async () => {
    const repo = repoName();
    const result = await run(join(FIXTURES, "leaky.oci"), ["--secret", `tok=${join(FIXTURES, "TOKEN")}`, "-t", `${registry.host}/${repo}:1`]);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain("safebuild: nothing pushed: the audit did not pass");
    expect(buildArgv()).toEqual(expect.arrayContaining(["--output", expect.stringMatching(/^type=oci,dest=\/.*\/layout,tar=false$/)]));
    expect(buildArgv()).not.toContain("--load");
    expect(await tagsStatus(repo)).toBe(404);
    expect(readdirSync(temp).filter((f) => f.startsWith("safebuild-push-"))).toEqual([]);
  });

  test("every platform clean: the index is pushed as built; its digest is in --metadata-file and is the registry's", async () => {
    const layout = await multiPlatformLayout("clean-multi", "clean too\n");
    const repo = repoName();
    const meta = join(work, "multi-meta.json");
    const result = await run(layout, ["--secret", "tok=env:SB_OCI_TOKEN", "--platform", "linux/amd64,linux/arm64", "-t", `${registry.host}/${repo}:1`, "--metadata-file", meta]);
    expect(result.code, result.stderr).toBe(0);
    expect(buildArgv().join(" ")).toContain("--platform linux/amd64,linux/arm64");
    const built = (JSON.parse(readFileSync(join(layout, "index.json"), "utf8")) as { manifests: { digest: string; size: number }[] }).manifests[0];
    expect(await head(repo, "1")).toBe(built?.digest);
    expect(JSON.parse(readFileSync(meta, "utf8"))).toEqual({
      "containerimage.descriptor": { mediaType: INDEX, digest: built?.digest, size: built?.size },
      "containerimage.digest": built?.digest,
      "image.name": `${registry.host}/${repo}:1`,
    });
    expect(readdirSync(temp).filter((f) => f.startsWith("safebuild-push-"))).toEqual([]);
  });

  test("a leak only in the arm64 image stops the push of every platform (exit 1)", async () => {
    const layout = await multiPlatformLayout("arm-leak", `token=${secret}\n`);
    const repo = repoName();
    const result = await run(layout, ["--secret", "tok=env:SB_OCI_TOKEN", "--format", "json", "-t", `${registry.host}/${repo}:1`]);
    expect(result.code, result.stderr).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ findings: [{ where: "file", path: "app/config", image: { platform: "linux/arm64/v8" } }] });
    expect(await tagsStatus(repo)).toBe(404);
  });

  test("no skopeo: exit 4 in one line before anything is built", async () => {
    const bin = join(work, "bin-without-skopeo");
    mkdirSync(bin, { recursive: true });
    symlinkSync(process.execPath, join(bin, "node"));
    const result = await run(join(FIXTURES, "clean.oci"), ["--secret", "tok=env:SB_OCI_TOKEN", "-t", `${registry.host}/${repoName()}:1`], { PATH: bin });
    expect(result.code, result.stderr).toBe(4);
    expect(result.stderr).toMatch(/^safebuild: --push with a buildx builder that is not the docker driver uploads the audited OCI layout with skopeo, which is not on PATH/m);
    expect(fake.calls().filter((c) => c.argv[1] === "build")).toEqual([]);
  });
});
