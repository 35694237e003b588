import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { layoutArtifact, layoutReferrers, type LayoutArtifact } from "../../../src/scan/layout/layout-artifacts.js";
import { sha256Digest, tarOf } from "../../helpers/archives.js";
import { runCli } from "../../helpers/cli.js";
import { provenance } from "../../helpers/oci.js";
import { INDEX, MANIFEST, cosignAttestation, ociArtifact, tinyImage, type Pushable } from "../../helpers/referrer-artifacts.js";

// Artifacts a layout lists beside its images, as `oras cp -r --to-oci-layout` (OCI 1.1
// `subject`) and `cosign save` (signatures and attestations under `sha256-HEX.att` names) write
// them: read as a registry's referrers are, never planned as images (whose layers are no tars).

const work = mkdtempSync(join(tmpdir(), "sbtest-layout-artifacts-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const value = `sblayart-${randomBytes(18).toString("base64url")}`;
const SLSA = "https://slsa.dev/provenance/v0.2";
const BUILD_ARG = "/predicate/invocation/parameters/args/build-arg:TOKEN";

interface Entry {
  readonly what: Pushable;
  readonly annotations?: Record<string, string>;
  readonly platform?: { os: string; architecture: string };
  readonly artifactType?: string;
}

const blobsOf = (what: Pushable): Buffer[] => [what.manifest, ...what.blobs, ...(what.children ?? []).flatMap(blobsOf)];

/** An OCI layout folder holding the entries' blobs, index.json listing them (extra blobs beside: children, chains). */
function layout(name: string, entries: readonly Entry[], extra: readonly Pushable[] = []): string {
  const dir = join(work, name);
  mkdirSync(join(dir, "blobs", "sha256"), { recursive: true });
  for (const bytes of [...entries.map((e) => e.what), ...extra].flatMap(blobsOf)) writeFileSync(join(dir, "blobs", "sha256", sha256Digest(bytes).slice(7)), bytes);
  const manifests = entries.map((e) => ({
    mediaType: e.what.children === undefined ? MANIFEST : INDEX,
    digest: e.what.digest,
    size: e.what.manifest.length,
    ...(e.platform === undefined ? {} : { platform: e.platform }),
    ...(e.artifactType === undefined ? {} : { artifactType: e.artifactType }),
    ...(e.annotations === undefined ? {} : { annotations: e.annotations }),
  }));
  writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(join(dir, "index.json"), JSON.stringify({ schemaVersion: 2, manifests }));
  return dir;
}

interface Report {
  readonly findings: { where: string; path: string; referrer?: { manifest: string; subject: string; via: string }; image?: { platform?: string } }[];
  readonly notSearched: { path: string; reason: string }[];
}

async function scan(target: string, ...more: string[]): Promise<{ code: number | null; report: Report; stderr: string }> {
  const result = await runCli(["scan", "--secret", "tok=env:SB_VALUE", "--no-rules", "--format", "json", ...more, target], { env: { SB_VALUE: value }, secrets: [value] });
  const stderr = result.stderr.toString();
  expect(stderr).not.toMatch(/internal error/);
  const stdout = result.stdout.toString();
  return { code: result.code, report: stdout === "" ? { findings: [], notSearched: [] } : (JSON.parse(stdout) as Report), stderr };
}

const leakyAttestation = (subject: Pushable): Pushable =>
  ociArtifact(subject, "application/vnd.in-toto+json", [{ mediaType: "application/vnd.dsse.envelope.v1+json", bytes: Buffer.from(JSON.stringify({ payloadType: "application/vnd.in-toto+json", payload: Buffer.from(JSON.stringify(provenance({ TOKEN: value }))).toString("base64"), signatures: [] })), annotations: { predicateType: SLSA } }]);
const signature = (subject: Pushable): Pushable =>
  ociArtifact(subject, "application/vnd.dev.cosign.artifact.sig.v1+json", [{ mediaType: "application/vnd.dev.cosign.simplesigning.v1+json", bytes: Buffer.from(JSON.stringify({ critical: { type: "cosign container image signature", image: { "docker-manifest-digest": subject.digest } } })) }]);
const cosignName = (digest: string, suffix: string): Record<string, string> => ({ "org.opencontainers.image.ref.name": `${digest.replace(":", "-")}${suffix}` });

describe("scan of a layout that lists artifacts beside its image", () => {
  test("an OCI 1.1 attestation (subject) recording the secret as a build arg: found as a referrer of the image, exit 1", async () => {
    const image = await tinyImage("clean");
    const att = leakyAttestation(image);
    const dir = layout("subject", [{ what: image, annotations: { "org.opencontainers.image.ref.name": "1" } }, { what: att, artifactType: "application/vnd.in-toto+json" }]);
    const { code, report, stderr } = await scan(`oci:${dir}`);
    expect(code, stderr).toBe(1);
    expect(report.findings).toEqual([expect.objectContaining({ where: "attestation", path: BUILD_ARG, referrer: { manifest: att.digest, subject: image.digest, via: "subject" } })]);
    expect(report.notSearched).toEqual([]);
  });

  test("cosign save's names: an .att found under its tag, a clean .sig beside it read and quiet", async () => {
    const image = await tinyImage("clean");
    const att = cosignAttestation([{ predicateType: SLSA, statement: provenance({ TOKEN: value }) }]);
    const sig = cosignAttestation([{ predicateType: "cosign/sign", statement: { critical: { type: "cosign container image signature" } } }]);
    const dir = layout("cosign", [{ what: image }, { what: sig, annotations: cosignName(image.digest, ".sig") }, { what: att, annotations: cosignName(image.digest, ".att") }]);
    const { code, report, stderr } = await scan(`oci:${dir}`);
    expect(code, stderr).toBe(1);
    expect(report.findings).toEqual([expect.objectContaining({ where: "attestation", path: BUILD_ARG, referrer: { manifest: att.digest, subject: image.digest, via: `tag ${image.digest.replace(":", "-")}.att` } })]);
  });

  test("a clean image with a signature and an SBOM attached: exit 0, nothing unsearched (was: exit 2, the signature read as a layer)", async () => {
    const image = await tinyImage("clean");
    const sbom = ociArtifact(image, "application/spdx+json", [{ mediaType: "application/spdx+json", bytes: Buffer.from(JSON.stringify({ spdxVersion: "SPDX-2.3", packages: [] })) }]);
    const dir = layout("clean", [{ what: image }, { what: signature(image) }, { what: sbom }]);
    const { code, report, stderr } = await scan(`oci:${dir}`);
    expect(code, stderr).toBe(0);
    expect(report.findings).toEqual([]);
    expect(report.notSearched).toEqual([]);
  });

  test("an artifact attached to an artifact attached to an artifact: read at any depth; one attached to nothing held is the index's", async () => {
    const image = await tinyImage("clean");
    const sbom = ociArtifact(image, "application/spdx+json", [{ mediaType: "application/spdx+json", bytes: Buffer.from("{}") }]);
    const sig = signature(sbom);
    const deep = leakyAttestation(sig);
    const stranger = await tinyImage("elsewhere");
    const orphan = leakyAttestation(stranger);
    const dir = layout("chain", [{ what: image }, { what: sbom }, { what: sig }, { what: deep }, { what: orphan }]);
    const { code, report, stderr } = await scan(`oci:${dir}`);
    expect(code, stderr).toBe(1);
    const manifests = report.findings.map((f) => f.referrer?.manifest).sort();
    expect(manifests).toEqual([deep.digest, orphan.digest].sort());
    expect(report.findings.find((f) => f.referrer?.manifest === deep.digest)?.referrer?.subject).toBe(image.digest);
  });

  test("--platform: an artifact of the other platform's image is not read; by default it is, with its platform", async () => {
    const amd = await tinyImage("amd");
    const arm = await tinyImage("arm");
    const att = leakyAttestation(arm);
    const dir = layout("platforms", [
      { what: amd, platform: { os: "linux", architecture: "amd64" } },
      { what: arm, platform: { os: "linux", architecture: "arm64" } },
      { what: att },
    ]);
    const picked = await scan(`oci:${dir}`, "--platform", "linux/amd64");
    expect(picked.code, picked.stderr).toBe(0);
    const all = await scan(`oci:${dir}`);
    expect(all.code, all.stderr).toBe(1);
    expect(all.report.findings).toEqual([expect.objectContaining({ where: "attestation", image: expect.objectContaining({ platform: "linux/arm64" }) })]);
  });

  test("a manifest that names a subject but carries a filesystem layer is an image: the leak in its layer is found", async () => {
    const base = await tinyImage("clean");
    const layer = await tarOf([{ name: "app/token", data: Buffer.from(value) }]);
    const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: {}, rootfs: { type: "layers", diff_ids: [sha256Digest(layer)] } }));
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MANIFEST,
        config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha256Digest(config), size: config.length },
        layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: sha256Digest(layer), size: layer.length }],
        subject: { mediaType: MANIFEST, digest: base.digest, size: base.manifest.length },
      }),
    );
    const disguised: Pushable = { manifest, digest: sha256Digest(manifest), blobs: [config, layer] };
    const dir = layout("disguised", [{ what: base }, { what: disguised }]);
    const { code, report, stderr } = await scan(`oci:${dir}`);
    expect(code, stderr).toBe(1);
    expect(report.findings).toEqual([expect.objectContaining({ path: "app/token" })]);
  });

  test("an OCI archive (tar of the layout) reads its artifacts the same way", async () => {
    const image = await tinyImage("clean");
    const att = leakyAttestation(image);
    const dir = layout("archive", [{ what: image }, { what: att }]);
    const entries = [
      { name: "oci-layout", data: Buffer.from(JSON.stringify({ imageLayoutVersion: "1.0.0" })) },
      { name: "index.json", data: Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [image, att].map((p) => ({ mediaType: MANIFEST, digest: p.digest, size: p.manifest.length })) })) },
      ...[image, att].flatMap(blobsOf).map((bytes) => ({ name: `blobs/sha256/${sha256Digest(bytes).slice(7)}`, data: bytes })),
    ];
    const file = join(work, "layout.oci.tar");
    writeFileSync(file, await tarOf(entries));
    expect(dir).toBeTruthy();
    const { code, report, stderr } = await scan(`oci-archive:${file}`);
    expect(code, stderr).toBe(1);
    expect(report.findings).toEqual([expect.objectContaining({ where: "attestation", referrer: expect.objectContaining({ manifest: att.digest, subject: image.digest }) })]);
  });
});

const d = (digest: string, annotations?: Record<string, string>): { digest: string; annotations?: Record<string, string> } => ({ digest, ...(annotations === undefined ? {} : { annotations }) });
const hex = (c: string): string => `sha256:${c.repeat(64)}`;

describe("layoutArtifact: which entries of an index are artifacts", () => {
  const tar = { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip" };
  const imageConfig = { mediaType: "application/vnd.oci.image.config.v1+json" };
  test.each([
    ["an image", { config: imageConfig, layers: [tar] }, undefined],
    ["a Docker v2 image", { config: { mediaType: "application/vnd.docker.container.image.v1+json" }, layers: [{ mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip" }] }, undefined],
    ["an image with no layer", { config: imageConfig, layers: [] }, undefined],
    ["a layer with no media type (read as a layer, as before)", { config: imageConfig, layers: [{}] }, undefined],
    ["a tar layer with a subject (an image still)", { config: imageConfig, layers: [tar], subject: { digest: hex("a") } }, undefined],
    ["an OCI 1.1 artifact", { artifactType: "x", config: { mediaType: "application/vnd.oci.empty.v1+json" }, layers: [{ mediaType: "application/spdx+json" }], subject: { digest: hex("a") } }, { subject: hex("a"), via: "subject" }],
    ["cosign's signature with no subject", { config: imageConfig, layers: [{ mediaType: "application/vnd.dev.cosign.simplesigning.v1+json" }] }, { subject: undefined, via: "index.json" }],
    ["an artifact with no layer at all", { artifactType: "x", config: { mediaType: "application/vnd.oci.empty.v1+json" }, layers: [] }, { subject: undefined, via: "index.json" }],
    ["not an object", "nonsense", undefined],
  ] as const)("%s", (_name, manifest, expected) => {
    const found = layoutArtifact(d(hex("b")), manifest);
    expect(found === undefined ? undefined : { subject: found.subject, via: found.via }).toEqual(expected);
  });

  test("cosign's names attach by tag: .att, .sig, .sbom and the referrers tag; other names do not", () => {
    const dsse = { config: { mediaType: "application/vnd.oci.image.config.v1+json" }, layers: [{ mediaType: "application/vnd.dsse.envelope.v1+json" }] };
    for (const suffix of [".att", ".sig", ".sbom", ""]) {
      const found = layoutArtifact(d(hex("b"), { "org.opencontainers.image.ref.name": `sha256-${"c".repeat(64)}${suffix}` }), dsse);
      expect(found).toEqual(expect.objectContaining({ subject: hex("c"), via: `tag sha256-${"c".repeat(64)}${suffix}` }));
    }
    expect(layoutArtifact(d(hex("b"), { "org.opencontainers.image.ref.name": `sha256-${"c".repeat(63)}.att` }), dsse)?.subject).toBeUndefined();
  });
});

describe("layoutReferrers: each artifact under its root", () => {
  const artifact = (digest: string, subject: string | undefined): LayoutArtifact => ({ descriptor: { digest }, subject, via: subject === undefined ? "index.json" : "subject" });
  const top = hex("0");
  const img = hex("1");
  const source = layoutReferrers(
    [artifact(hex("a"), img), artifact(hex("b"), hex("a")), artifact(hex("c"), hex("b")), artifact(hex("d"), hex("e")), artifact(hex("e"), hex("d")), artifact(hex("f"), undefined), artifact(hex("9"), hex("8"))],
    top,
    new Set([top, img, hex("8")]),
    () => Promise.resolve(undefined),
  );
  const found = async (subject: string): Promise<string[]> => (await source.find(subject, { cosign: true })).map((l) => (l.kind === "manifest" ? l.digest : "index")).sort();
  test("a chain is the image's; a cycle and an orphan are the index's; an unchosen image's stay its own", async () => {
    expect(await found(img)).toEqual([hex("a"), hex("b"), hex("c")]);
    expect(await found(top)).toEqual([hex("d"), hex("e"), hex("f")]);
    expect(await found(hex("8"))).toEqual([hex("9")]);
    expect(await found(hex("a"))).toEqual([]);
  });
  test("a manifest that is missing, or not its digest, is an input error (the walk reports it as not searched)", async () => {
    await expect(source.manifest(hex("a"))).rejects.toThrow(/missing/);
    const lying = layoutReferrers([], top, new Set([top]), () => Promise.resolve(Buffer.from("{}")));
    await expect(lying.manifest(hex("a"))).rejects.toThrow(/is sha256:44136fa3/);
  });
});
