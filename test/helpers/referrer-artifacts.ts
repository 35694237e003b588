import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha256Digest, tarOf } from "./archives.js";

// Hand-made artifacts attached to an image the way cosign and OCI 1.1 tools attach them, pushed
// to the real registry: manifests with skopeo (1.9 keeps their bytes, `subject`, `artifactType`
// and layer media types as written: `--preserve-digests` refuses to change them), indexes by PUT.

export const MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const INDEX = "application/vnd.oci.image.index.v1+json";
export const DSSE = "application/vnd.dsse.envelope.v1+json";
const EMPTY = "application/vnd.oci.empty.v1+json";

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

/** A manifest or index with the blobs it needs, to be pushed under one tag. */
export interface Pushable {
  readonly manifest: Buffer;
  readonly digest: string;
  readonly blobs: readonly Buffer[];
  /** manifests an index lists, pushed with it */
  readonly children?: readonly Pushable[];
}

const pushable = (manifest: unknown, blobs: readonly Buffer[], children?: readonly Pushable[]): Pushable => {
  const bytes = json(manifest);
  return { manifest: bytes, digest: sha256Digest(bytes), blobs, ...(children === undefined ? {} : { children }) };
};

const descriptor = (mediaType: string, bytes: Buffer, annotations?: Record<string, string>): Record<string, unknown> => ({
  mediaType,
  digest: sha256Digest(bytes),
  size: bytes.length,
  ...(annotations === undefined ? {} : { annotations }),
});

/** The smallest image: one layer holding `app/config` with `text`. */
export async function tinyImage(text: string): Promise<Pushable> {
  const layer = await tarOf([{ name: "app/config", data: Buffer.from(text) }]);
  const config = json({ architecture: "amd64", os: "linux", config: {}, rootfs: { type: "layers", diff_ids: [sha256Digest(layer)] }, history: [{ created_by: "COPY config /app/" }] });
  return pushable({ schemaVersion: 2, mediaType: MANIFEST, config: descriptor("application/vnd.oci.image.config.v1+json", config), layers: [descriptor("application/vnd.oci.image.layer.v1.tar", layer)] }, [config, layer]);
}

/** A DSSE envelope of an in-toto statement, as cosign writes one into an `.att` layer. */
export const dsseEnvelope = (statement: unknown): Buffer =>
  json({ payloadType: "application/vnd.in-toto+json", payload: json(statement).toString("base64"), signatures: [{ keyid: "", sig: randomBytes(64).toString("base64") }] });

/**
 * cosign's `.att` manifest: an image config whose diff_ids are the envelopes' digests, one DSSE
 * layer per statement with the `predicateType` annotation cosign writes.
 */
export function cosignAttestation(statements: readonly { predicateType: string; statement: unknown }[]): Pushable {
  const layers = statements.map((s) => dsseEnvelope(s.statement));
  const config = json({ architecture: "", created: "0001-01-01T00:00:00Z", history: [{ created: "0001-01-01T00:00:00Z" }], os: "", rootfs: { type: "layers", diff_ids: layers.map(sha256Digest) }, config: {} });
  return pushable(
    {
      schemaVersion: 2,
      mediaType: MANIFEST,
      config: descriptor("application/vnd.oci.image.config.v1+json", config),
      layers: layers.map((layer, i) => descriptor(DSSE, layer, { "dev.cosignproject.cosign/signature": "", predicateType: statements[i]?.predicateType ?? "" })),
    },
    [config, ...layers],
  );
}

/** An OCI 1.1 artifact: the empty config, `artifactType`, `subject`, the given layers. */
export function ociArtifact(subject: Pushable, artifactType: string, layers: readonly { mediaType: string; bytes: Buffer; annotations?: Record<string, string> }[]): Pushable {
  const empty = Buffer.from("{}");
  return pushable(
    {
      schemaVersion: 2,
      mediaType: MANIFEST,
      artifactType,
      config: descriptor(EMPTY, empty),
      layers: layers.map((l) => descriptor(l.mediaType, l.bytes, l.annotations)),
      subject: { mediaType: MANIFEST, digest: subject.digest, size: subject.manifest.length },
    },
    [empty, ...layers.map((l) => l.bytes)],
  );
}

/** The referrers tag schema's index: the referrers with their `artifactType` and annotations. */
export function referrersIndex(referrers: readonly Pushable[], extra: readonly Record<string, unknown>[] = []): Pushable {
  const manifests = referrers.map((r) => {
    const parsed = JSON.parse(r.manifest.toString("utf8")) as { artifactType?: string; annotations?: Record<string, string> };
    return { mediaType: MANIFEST, digest: r.digest, size: r.manifest.length, ...(parsed.artifactType === undefined ? {} : { artifactType: parsed.artifactType }) };
  });
  return pushable({ schemaVersion: 2, mediaType: INDEX, manifests: [...manifests, ...extra] }, [], referrers);
}

/** The tag the referrers tag schema (and cosign, with a suffix) keeps for a digest. */
export const tagFor = (digest: string, suffix = ""): string => `${digest.replace(":", "-")}${suffix}`;

/**
 * Pushes `what` to `HOST/REPO:TAG`, bytes unchanged. An image manifest is written as an OCI
 * layout and copied with skopeo. An index is PUT over plain HTTP after its manifests are pushed
 * (under tags of their own): skopeo 1.9 refuses to copy an index whose descriptors carry
 * `artifactType` unchanged ("must be converted", with --preserve-digests).
 */
export async function push(what: Pushable, target: string): Promise<void> {
  if (what.children === undefined) return copyManifest(what, target);
  const at = target.lastIndexOf(":");
  const [repo, tag] = [target.slice(0, at), target.slice(at + 1)];
  for (const child of what.children) await push(child, `${repo}:child-${child.digest.slice(7, 23)}`);
  const slash = repo.indexOf("/");
  const res = await fetch(`http://${repo.slice(0, slash)}/v2/${repo.slice(slash + 1)}/manifests/${tag}`, { method: "PUT", headers: { "content-type": INDEX }, body: what.manifest });
  if (res.status !== 201) throw new Error(`PUT of the index ${target} answered ${res.status}: ${await res.text()}`);
}

function copyManifest(what: Pushable, target: string): void {
  const dir = mkdtempSync(join(tmpdir(), "sbtest-referrer-"));
  try {
    mkdirSync(join(dir, "blobs", "sha256"), { recursive: true });
    for (const bytes of [what.manifest, ...what.blobs]) writeFileSync(join(dir, "blobs", "sha256", sha256Digest(bytes).slice(7)), bytes);
    writeFileSync(join(dir, "oci-layout"), json({ imageLayoutVersion: "1.0.0" }));
    writeFileSync(join(dir, "index.json"), json({ schemaVersion: 2, manifests: [{ mediaType: MANIFEST, digest: what.digest, size: what.manifest.length, annotations: { "org.opencontainers.image.ref.name": "x" } }] }));
    const copied = spawnSync("skopeo", ["copy", "--quiet", "--preserve-digests", "--dest-tls-verify=false", `oci:${dir}:x`, `docker://${target}`], { encoding: "utf8" });
    if (copied.status !== 0) throw new Error(`skopeo copy to ${target} failed: ${copied.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A multi-platform index of the given images. */
export function platformIndex(images: readonly { platform: { os: string; architecture: string }; image: Pushable }[]): Pushable {
  const manifests = images.map(({ platform, image }) => ({ mediaType: MANIFEST, digest: image.digest, size: image.manifest.length, platform }));
  return pushable({ schemaVersion: 2, mediaType: INDEX, manifests }, [], images.map((i) => i.image));
}
