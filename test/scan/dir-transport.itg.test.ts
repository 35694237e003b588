import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { tarOf } from "../helpers/archives.js";
import { runCli } from "../helpers/cli.js";
import { ociIndexArchive, provenance } from "../helpers/oci.js";
import { TOKEN } from "./fixture-expectations.js";
import { fixtures } from "./helpers.js";

// containers/image's `dir:` layout, written by the real skopeo (podman's `save --format docker-dir`
// writes the same): what `skopeo copy … dir:D` leaves is scanned as the image it holds.
const skopeo = spawnSync("skopeo", ["--version"], { stdio: "ignore" }).status === 0;
if (!skopeo && process.env["CI"] === "true") throw new Error("CI=true but skopeo does not run: run bash scripts/ci-deps.sh");
const work = mkdtempSync(join(tmpdir(), "sbtest-dirtransport-"));
const value = `sbdir-${randomBytes(18).toString("base64url")}`;
const env = { SB_TOKEN: `${TOKEN}\n`, SB_VALUE: value };

interface Finding {
  readonly where: string;
  readonly path: string;
  readonly encoding: string;
  readonly deleted: boolean;
  readonly container?: string;
  readonly layer: { readonly index: number } | null;
  readonly image?: { readonly index?: number; readonly platform?: string };
}

async function scan(ref: string, secretEnv: string): Promise<{ code: number | null; findings: Finding[] }> {
  const run = await runCli(["scan", "--secret", `tok=env:${secretEnv}`, "--format", "json", ref], { env, secrets: [TOKEN, value] });
  expect(run.stderr.toString()).not.toMatch(/internal error/);
  return { code: run.code, findings: run.stdout.length === 0 ? [] : (JSON.parse(run.stdout.toString()) as { findings: Finding[] }).findings };
}

const copy = (from: string, to: string, all = false): void => {
  const copied = spawnSync("skopeo", ["copy", "--quiet", ...(all ? ["--all"] : []), from, `dir:${to}`], { encoding: "utf8" });
  expect(copied.status, copied.stderr).toBe(0);
};

const shape = (f: Finding): unknown[] => [f.where, f.layer?.index ?? null, f.path, f.encoding, f.deleted, f.container ?? null, f.image?.platform ?? null];

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!skopeo)("skopeo's dir: layout, written by the real skopeo", () => {
  test("the conformance image copied to dir: gives the same findings as its docker save tarball", async () => {
    const dir = join(work, "leaky");
    copy(`docker-archive:${join(fixtures, "leaky.docker.tar")}`, dir);
    const reference = await scan(join(fixtures, "leaky.docker.tar"), "SB_TOKEN");
    expect(reference.code).toBe(1);
    // found without a prefix (its `version` file tells it), and with `dir:`
    for (const ref of [dir, `dir:${dir}`]) {
      const got = await scan(ref, "SB_TOKEN");
      expect(got.code).toBe(1);
      expect(got.findings.map(shape).sort()).toEqual(reference.findings.map(shape).sort());
    }
  });

  test("copied with --all from a multi-platform layout: every platform, its attestation, a manifest field", async () => {
    const layer = (text: string): Promise<Buffer> => tarOf([{ name: "app/config", data: Buffer.from(text) }]);
    const archive = join(work, "multi.tar");
    writeFileSync(
      archive,
      await ociIndexArchive([
        { platform: { os: "linux", architecture: "amd64" }, layers: [await layer("clean")], attestations: [{ predicateType: "https://slsa.dev/provenance/v0.2", statement: provenance({ TOKEN: value }) }] },
        { platform: { os: "linux", architecture: "arm64", variant: "v8" }, layers: [await layer(`token=${value}\n`)], manifestFields: { "x-build": { note: value } } },
      ]),
    );
    // skopeo picks one top entry: the platforms' index goes one level down, as BuildKit writes it
    const layout = join(work, "multi-layout");
    mkdirSync(layout);
    expect(spawnSync("tar", ["-xf", archive, "-C", layout]).status).toBe(0);
    const inner = readFileSync(join(layout, "index.json"));
    const digest = createHash("sha256").update(inner).digest("hex");
    writeFileSync(join(layout, "blobs/sha256", digest), inner);
    writeFileSync(join(layout, "index.json"), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: "application/vnd.oci.image.index.v1+json", digest: `sha256:${digest}`, size: inner.length }] }));
    const dir = join(work, "multi");
    copy(`oci:${layout}`, dir, true);
    const { code, findings } = await scan(dir, "SB_VALUE");
    expect(code).toBe(1);
    expect(findings).toContainEqual(expect.objectContaining({ where: "file", path: "app/config", image: { index: 1, platform: "linux/arm64/v8" } }));
    expect(findings).toContainEqual(expect.objectContaining({ where: "attestation", path: "/predicate/invocation/parameters/args/build-arg:TOKEN" }));
    expect(findings).toContainEqual(expect.objectContaining({ where: "manifest", path: expect.stringMatching(/^blobs\/sha256\/[0-9a-f]{64}#\/x-build\/note$/) }));
  });

  test("a dir: layout of a clean image is clean; a directory that is neither layout is one line, exit 2", async () => {
    const dir = join(work, "clean");
    writeFileSync(join(work, "clean.tar"), await ociIndexArchive([{ platform: { os: "linux", architecture: "amd64" }, layers: [await tarOf([{ name: "a", data: Buffer.from("clean") }])] }]));
    copy(`oci-archive:${join(work, "clean.tar")}`, dir);
    expect((await scan(dir, "SB_VALUE")).code).toBe(0);
    const empty = mkdtempSync(join(work, "empty-"));
    const run = await runCli(["scan", "--secret", "tok=env:SB_VALUE", `dir:${empty}`], { env, secrets: [value] });
    expect(run.code).toBe(2);
    expect(run.stderr.toString().trim().split("\n").at(-1)).toMatch(/not an image: no manifest\.json or index\.json/);
  });
});
