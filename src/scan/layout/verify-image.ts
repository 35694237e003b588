import { environmentError, inputError, type SafebuildError } from "../../errors.js";
import type { ImageConfig } from "../findings/config-scan.js";
import type { LayerScan } from "../layer/layer-scan.js";
import type { ImagePlan } from "./plan-images.js";

/** What the bytes read must prove: the engine's image id when there is one. */
export interface Expected {
  /** the image id the engine was asked for (inspected); null for files and layouts */
  readonly id: string | null;
  /** a registry: what it served is not what it named (exit 4, like an engine's export) */
  readonly remote?: boolean | undefined;
  /** read from the engine's storage, not its export (the message says which) */
  readonly stored?: boolean | undefined;
}

const isSha256 = (digest: string | null): digest is string => digest !== null && digest.startsWith("sha256:");

/**
 * Checks that what was read is the image it claims to be, so a party between safebuild and the
 * image (a proxy, a tampered tarball) cannot hand the audit other bytes: the config's sha256 is
 * the image id asked for (engines) and the digest the layout names it by, an OCI manifest is
 * its descriptor's digest, each layer blob its descriptor's, and each unpacked layer the
 * config's `rootfs.diff_ids[i]`. A mismatch is an environment error (exit 4) for an engine, an
 * input error (exit 2, a corrupt file) otherwise: never a report.
 */
export function verifyImage(plan: ImagePlan, config: ImageConfig, layers: readonly LayerScan[], label: string, expected: Expected): void {
  const mismatch = (what: string): SafebuildError =>
    expected.id !== null ? environmentError(`${label}: the engine's ${expected.stored === true ? "storage does not hold" : "export is not"} the image inspected: ${what}`)
      : expected.remote === true ? environmentError(`${label}: the registry served bytes that are not the image it named: ${what}`) : inputError(`${label}: corrupt image: ${what}`);
  if (expected.id !== null && plan.configDigest !== expected.id) throw mismatch(`its config is ${plan.configDigest}, the image id ${expected.id}`);
  if (isSha256(plan.configNamed) && plan.configNamed !== plan.configDigest) {
    throw mismatch(`config ${plan.configPath} is ${plan.configDigest}, named ${plan.configNamed}`);
  }
  if (plan.manifest !== null && isSha256(plan.manifest.named) && plan.manifest.named !== plan.manifest.read) {
    throw mismatch(`manifest ${plan.manifest.named} is ${plan.manifest.read}`);
  }
  layers.forEach((layer, i) => {
    const named = plan.blobDigests[i] ?? null;
    if (isSha256(named) && named !== layer.digest) throw mismatch(`layer ${i} (${plan.layerPaths[i]}) is ${layer.digest}, named ${named}`);
  });
  if (config.diffIds.length !== layers.length) {
    throw mismatch(`the config lists ${config.diffIds.length} layer diff_ids, the manifest ${layers.length} layers`);
  }
  layers.forEach((layer, i) => {
    const diffId = config.diffIds[i]!;
    if (layer.diffId !== diffId) throw mismatch(`layer ${i} (${plan.layerPaths[i]}) unpacks to ${layer.diffId}, its diff_id is ${diffId}`);
  });
}
