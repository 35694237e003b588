import { open, stat } from "node:fs/promises";
import { relative, resolve, sep } from "node:path";
import { describeFsError, inputError } from "../../errors.js";
import { JSON_CAP, type BlobStore } from "./blob-store.js";
import { filePump } from "../../bytes/pump.js";
import type { LayerScan, LayerScanContext } from "../layer/layer-scan.js";
import { scanPumpedLayer } from "./pumped-layer.js";
import type { ScanProgress } from "../scan-progress.js";

/** An OCI image layout directory: files are read on demand, each layer once. */
export function directoryStore(root: string, ctx: LayerScanContext, label: string, seen: { onBytes?: (count: number) => void; progress?: ScanProgress | undefined } = {}): BlobStore {
  const scans = new Map<string, Promise<LayerScan>>();
  const inside = (path: string): string => {
    const full = resolve(root, path);
    const rel = relative(root, full);
    if (rel === "" || rel.startsWith("..") || rel.startsWith(sep)) throw inputError(`${label}: path ${path} leaves the layout`);
    return full;
  };
  return {
    async json(path) {
      let handle;
      try {
        handle = await open(inside(path), "r");
      } catch (error) {
        if (error && typeof error === "object" && "code" in error && error.code === "ENOENT") return undefined;
        throw inputError(`${label}: cannot read ${path}: ${describeFsError(error)}`, error);
      }
      try {
        const { size } = await handle.stat();
        if (size > JSON_CAP) throw inputError(`${label}: ${path} is larger than ${JSON_CAP} bytes`);
        return await handle.readFile();
      } finally {
        await handle.close();
      }
    },
    layer(path) {
      const known = scans.get(path);
      if (known) return known;
      const scan = scanPumpedLayer(filePump(inside(path), { signal: ctx.signal, onBytes: seen.onBytes }), ctx, seen.progress, {
        lost: (error) => inputError(`${label}: cannot read layer ${path}: ${describeFsError(error)}`, error),
        unreadable: (reason) => inputError(`${label}: layer ${path} is unreadable (${reason})`),
      });
      scans.set(path, scan);
      return scan;
    },
    async layerSize(path) {
      return stat(inside(path)).then((info) => info.size, () => undefined);
    },
  };
}

