import { open } from "node:fs/promises";
import { describeFsError, environmentError, inputError, isSafebuildError } from "../../errors.js";
import { JSON_CAP, type BlobStore } from "./blob-store.js";
import type { StoredImage, StoredLayer } from "../../docker/storage/stored-image.js";
import { StorageMismatch } from "../../docker/storage/storage-mismatch.js";
import { tarSplitPump } from "../../docker/storage/tar-split-pump.js";
import type { LayerScan, LayerScanContext } from "../layer/layer-scan.js";
import { scanPumpedLayer } from "./pumped-layer.js";
import type { ScanProgress } from "../scan-progress.js";

const hexOf = (digest: string): string => digest.slice("sha256:".length);

/**
 * An engine image read from the engine's storage, laid out as `docker save` of its id lays it
 * out (`manifest.json`, `ID.json`, `DIFFID/layer.tar`), so the plan, the proof by digest and the
 * report are the export's. Each layer is read once, when the scan asks for it.
 */
export function storageStore(image: StoredImage, id: string, ctx: LayerScanContext, label: string, seen: { onBytes?: (count: number) => void; progress?: ScanProgress | undefined }): BlobStore {
  const configName = `${hexOf(id)}.json`;
  const pathOf = (layer: StoredLayer): string => `${hexOf(layer.diffId)}/layer.tar`;
  // one path per diff id: a layer an image holds twice (two COPYs of the same file) is one tar, as in docker save's archive
  const byPath = new Map<string, StoredLayer>(image.layers.map((layer) => [pathOf(layer), layer]));
  const manifest = Buffer.from(JSON.stringify([{ Config: configName, RepoTags: null, Layers: image.layers.map(pathOf) }]));
  const scans = new Map<string, Promise<LayerScan>>();
  const lost = (what: string, error: unknown): Error =>
    environmentError(`${label}: ${what} cannot be read from the engine's storage (${error instanceof StorageMismatch ? error.message : describeFsError(error)})`, error);
  return {
    async json(path) {
      if (path === "manifest.json") return manifest;
      if (path !== configName) return undefined;
      try {
        const handle = await open(image.config, "r");
        try {
          if ((await handle.stat()).size > JSON_CAP) throw environmentError(`${label}: its config is larger than ${JSON_CAP} bytes`);
          return await handle.readFile();
        } finally {
          await handle.close();
        }
      } catch (error) {
        if (isSafebuildError(error)) throw error;
        throw lost("its config", error);
      }
    },
    layer(path) {
      const known = scans.get(path);
      if (known) return known;
      const layer = byPath.get(path);
      const scan = layer === undefined ? Promise.reject(environmentError(`${label}: no layer ${path} in the engine's storage`)) : scanLayer(layer);
      scans.set(path, scan);
      return scan;
    },
  };

  function scanLayer(layer: StoredLayer): Promise<LayerScan> {
    return scanPumpedLayer(tarSplitPump(layer, { signal: ctx.signal, onBytes: seen.onBytes }), ctx, seen.progress, {
      lost: (error) => lost(`layer ${layer.diffId}`, error),
      // the tar itself is what the export would hand over too: as corrupt an image as from there (exit 2)
      unreadable: (reason) => inputError(`${label}: layer ${pathOf(layer)} is unreadable (${reason})`),
    });
  }
}
