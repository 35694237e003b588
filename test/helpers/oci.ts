import { sha256Digest, tarOf, type TarEntry } from "./archives.js";

/** One platform's image in a hand-made OCI layout. */
export interface OciImageSpec {
  readonly platform: { readonly os: string; readonly architecture: string; readonly variant?: string };
  readonly layers: readonly Buffer[];
  readonly env?: readonly string[];
  readonly manifestAnnotations?: Record<string, string>;
  readonly descriptorAnnotations?: Record<string, string>;
  /** more fields of the image manifest (`subject`, fields no schema names) and of its index descriptor (`urls`) */
  readonly manifestFields?: Record<string, unknown>;
  readonly descriptorFields?: Record<string, unknown>;
  /** in-toto statements BuildKit would attach to this image (provenance, SBOM) */
  readonly attestations?: readonly { readonly predicateType: string; readonly statement: unknown; readonly encode?: (json: Buffer) => Buffer }[];
  /** listed in the index, its blobs left out (an export of the other platforms only: `ctr export` without --all-platforms) */
  readonly absent?: boolean;
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

/**
 * An OCI image layout tar with a multi-platform index, shaped as BuildKit exports one: each
 * attestation manifest is an index entry of platform unknown/unknown whose annotations name its
 * subject's manifest digest, with one in-toto JSON layer per statement. `dockerManifest` adds the
 * manifest.json Docker 25+ writes beside the index, listing the images at those positions.
 */
export async function ociIndexArchive(images: readonly OciImageSpec[], indexAnnotations: Record<string, string> = {}, options: { readonly dockerManifest?: readonly number[] } = {}): Promise<Buffer> {
  const blobs = new Map<string, Buffer>();
  const put = (bytes: Buffer): { digest: string; size: number } => {
    const digest = sha256Digest(bytes);
    blobs.set(digest, bytes);
    return { digest, size: bytes.length };
  };
  const manifests: Record<string, unknown>[] = [];
  const absent = new Set<string>();
  const docker: { Config: string; RepoTags: string[]; Layers: string[] }[] = [];
  for (const image of images) {
    const config = put(
      json({
        architecture: image.platform.architecture,
        os: image.platform.os,
        config: { Env: image.env ?? ["PATH=/bin"] },
        rootfs: { type: "layers", diff_ids: image.layers.map(sha256Digest) },
        history: image.layers.map((_, i) => ({ created_by: `RUN layer ${i}` })),
      }),
    );
    const manifest = put(
      json({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
        layers: image.layers.map((l) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar", ...put(l) })),
        ...(image.manifestAnnotations === undefined ? {} : { annotations: image.manifestAnnotations }),
        ...image.manifestFields,
      }),
    );
    if (image.absent === true) absent.add(manifest.digest);
    const at = images.indexOf(image);
    if (options.dockerManifest?.includes(at) === true) {
      docker.push({ Config: `blobs/sha256/${config.digest.slice(7)}`, RepoTags: [`app:${at}`], Layers: image.layers.map((l) => `blobs/sha256/${sha256Digest(l).slice(7)}`) });
    }
    manifests.push({
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      ...manifest,
      platform: image.platform,
      ...(image.descriptorAnnotations === undefined ? {} : { annotations: image.descriptorAnnotations }),
      ...image.descriptorFields,
    });
    if (image.attestations !== undefined) {
      const empty = put(json({ architecture: "unknown", os: "unknown", config: {}, rootfs: { type: "layers", diff_ids: [] } }));
      const attestation = put(
        json({
          schemaVersion: 2,
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          config: { mediaType: "application/vnd.oci.image.config.v1+json", ...empty },
          layers: image.attestations.map((a) => ({
            mediaType: "application/vnd.in-toto+json",
            ...put(a.encode === undefined ? json(a.statement) : a.encode(json(a.statement))),
            annotations: { "in-toto.io/predicate-type": a.predicateType },
          })),
        }),
      );
      manifests.push({
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        ...attestation,
        platform: { architecture: "unknown", os: "unknown" },
        annotations: { "vnd.docker.reference.digest": manifest.digest, "vnd.docker.reference.type": "attestation-manifest" },
      });
    }
  }
  const entries: TarEntry[] = [
    { name: "oci-layout", data: json({ imageLayoutVersion: "1.0.0" }) },
    { name: "index.json", data: json({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests, annotations: indexAnnotations }) },
    ...[...blobs].filter(([digest]) => !absent.has(digest)).map(([digest, data]) => ({ name: `blobs/sha256/${digest.slice(7)}`, data })),
    // Docker 25+ writes docker save's manifest.json beside the index
    ...(options.dockerManifest === undefined ? [] : [{ name: "manifest.json", data: json(docker) }]),
  ];
  return tarOf(entries);
}

/** A provenance statement as BuildKit's mode=min writes one, with the build arguments it records. */
export const provenance = (buildArgs: Record<string, string>): unknown => ({
  _type: "https://in-toto.io/Statement/v0.1",
  predicateType: "https://slsa.dev/provenance/v0.2",
  subject: [{ name: "pkg:docker/app@1", digest: { sha256: "0".repeat(64) } }],
  predicate: {
    builder: { id: "" },
    buildType: "https://mobyproject.org/buildkit@v1",
    invocation: {
      configSource: { entryPoint: "Dockerfile" },
      parameters: { frontend: "dockerfile.v0", args: Object.fromEntries(Object.entries(buildArgs).map(([k, v]) => [`build-arg:${k}`, v])) },
    },
  },
});
