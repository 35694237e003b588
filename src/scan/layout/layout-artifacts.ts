import { createHash } from "node:crypto";
import { inputError } from "../../errors.js";
import type { ReferrerListing, ReferrerSource } from "../source/referrer-source.js";
import type { Descriptor } from "./manifest-schemas.js";

/** An artifact a layout's index lists beside its images: a signature, an SBOM, an attestation. */
export interface LayoutArtifact {
  readonly descriptor: Descriptor;
  /** the manifest it is attached to, when it says (`subject`) or its tag does (cosign's `sha256-HEX.att`) */
  readonly subject: string | undefined;
  /** how it is attached: `subject`, `tag sha256-….att`, or only listed in the index */
  readonly via: string;
}

const IMAGE_CONFIGS = new Set(["application/vnd.oci.image.config.v1+json", "application/vnd.docker.container.image.v1+json"]);

/** Layer media types that hold a filesystem tar (plain, compressed, foreign or not). */
const TAR_LAYER = /^application\/vnd\.(?:oci\.image\.layer\.|docker\.image\.rootfs\.)/;

/** cosign's tags (`sha256-HEX.att`, `.sig`, `.sbom`) and the referrers tag schema's (`sha256-HEX`). */
const ATTACHED_TAG = /^sha256-([0-9a-f]{64})(?:\.(?:att|sig|sbom))?$/;

interface ManifestShape {
  readonly config?: { readonly mediaType?: unknown } | null;
  readonly layers?: readonly { readonly mediaType?: unknown }[] | null;
  readonly subject?: { readonly digest?: unknown } | null;
  readonly artifactType?: unknown;
}

/**
 * Whether a manifest an index lists is an artifact attached to an image rather than an image:
 * OCI 1.1 artifacts (`subject`, `artifactType`, a config that is no image config), cosign's
 * signatures and attestations (layers that are not filesystem tars), as `oras cp -r
 * --to-oci-layout` and `cosign save` write them into a layout. A manifest with a tar layer is an
 * image whatever else it says: its layers are read as layers, never searched as a document.
 */
export function layoutArtifact(descriptor: Descriptor, manifest: unknown): LayoutArtifact | undefined {
  if (typeof manifest !== "object" || manifest === null) return undefined;
  const shape = manifest as ManifestShape;
  const layers = Array.isArray(shape.layers) ? shape.layers : [];
  const types = layers.map((layer) => (typeof layer?.mediaType === "string" ? layer.mediaType : undefined));
  if (types.some((type) => type === undefined || TAR_LAYER.test(type))) return undefined;
  const configType = shape.config?.mediaType;
  const subject = typeof shape.subject?.digest === "string" ? shape.subject.digest : undefined;
  const tag = ATTACHED_TAG.exec(descriptor.annotations?.["org.opencontainers.image.ref.name"] ?? "");
  const artifactType = shape.artifactType ?? (descriptor as { artifactType?: unknown }).artifactType;
  const marked = subject !== undefined || tag !== null || artifactType !== undefined || (typeof configType === "string" && !IMAGE_CONFIGS.has(configType));
  if (!marked && types.length === 0) return undefined; // an image with no layer: its config is searched as any image's
  if (subject !== undefined) return { descriptor, subject, via: "subject" };
  if (tag !== null) return { descriptor, subject: `sha256:${tag[1]}`, via: `tag ${tag[0]}` };
  return { descriptor, subject: undefined, via: "index.json" };
}

/**
 * The artifacts of a layout as the referrer walk reads them (docs/registries.md "Referrers"):
 * each one under the image (or index) it is attached to, following artifacts attached to
 * artifacts to their root, so a chain deeper than the walk's is read all the same. Artifacts
 * attached to nothing the layout holds are the top index's: shipped with it, so searched.
 */
export function layoutReferrers(artifacts: readonly LayoutArtifact[], top: string, held: ReadonlySet<string>, read: (digest: string) => Promise<Buffer | undefined>): ReferrerSource {
  const byDigest = new Map(artifacts.map((a) => [a.descriptor.digest, a]));
  const rootOf = (artifact: LayoutArtifact): string => {
    const visited = new Set<string>();
    let subject = artifact.subject;
    while (subject !== undefined && !held.has(subject)) {
      const above = byDigest.get(subject);
      if (above === undefined || visited.has(subject)) return top;
      visited.add(subject);
      subject = above.subject;
    }
    return subject ?? top;
  };
  const roots = new Map<string, LayoutArtifact[]>();
  for (const artifact of artifacts) {
    const root = rootOf(artifact);
    const under = roots.get(root);
    if (under === undefined) roots.set(root, [artifact]);
    else under.push(artifact);
  }
  return {
    topIndex: () => top,
    find: (subject) =>
      Promise.resolve(
        (roots.get(subject) ?? []).map((a): ReferrerListing => ({ kind: "manifest", via: a.via, digest: a.descriptor.digest, mediaType: a.descriptor.mediaType })),
      ),
    async manifest(digest) {
      const bytes = await read(digest);
      if (bytes === undefined) throw inputError(`referrer manifest ${digest} is missing`);
      const hashed = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
      if (digest.startsWith("sha256:") && hashed !== digest) throw inputError(`referrer manifest ${digest} is ${hashed}`);
      return bytes;
    },
  };
}
