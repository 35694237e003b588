import type { LayerScan } from "../layer/layer-scan.js";
import type { ReferrerSource } from "./referrer-source.js";

/**
 * The small core every image source implements (go-containerregistry style): metadata by path
 * inside the layout, and layers by path. Paths are layout paths: `manifest.json`,
 * `abc/layer.tar`, `blobs/sha256/…`. Layout resolution (layout.ts) works on any store.
 */
export interface BlobStore {
  /** JSON metadata (capped size), or undefined when there is no such file. */
  json(path: string): Promise<Buffer | undefined>;
  /** The layer at `path`, scanned; throws an input error when it is absent or not a tar. */
  layer(path: string): Promise<LayerScan>;
  /** A layer's size before it is read, where the store knows it (a directory); for progress only. */
  layerSize?(path: string): Promise<number | undefined>;
  /** The layers the scan asks for next, in order: a remote store may start on them now (bounded). */
  prefetch?(paths: readonly string[]): void;
  /** Artifacts attached to the image outside it (a registry's referrers, cosign's tags). */
  readonly referrers?: ReferrerSource;
}

/** Metadata files are read whole, so their size is capped. */
export const JSON_CAP = 16 * 1024 * 1024;
