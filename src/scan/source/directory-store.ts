import { open, stat } from "node:fs/promises";
import { relative, resolve, sep } from "node:path";
import { describeFsError, inputError } from "../../errors.js";
import { JSON_CAP, type BlobStore } from "./blob-store.js";
import { Backlog } from "../../bytes/backlog.js";
import { filePump } from "../../bytes/pump.js";
import { startLayerScan, type LayerScan, type LayerScanContext } from "../layer/layer-scan.js";
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
      const scan = (async () => {
        const backlog = new Backlog();
        const scanner = startLayerScan(ctx, backlog);
        seen.progress?.layer();
        try {
          await filePump(inside(path), { signal: ctx.signal, onBytes: seen.onBytes })(scanner.sink, backlog);
        } catch (error) {
          if (ctx.signal?.aborted) throw error;
          throw inputError(`${label}: cannot read layer ${path}: ${describeFsError(error)}`, error);
        }
        const result: LayerScan = await scanner.finish();
        if (result.error !== null) throw inputError(`${label}: layer ${path} is unreadable (${result.error})`);
        return result;
      })();
      scans.set(path, scan);
      return scan;
    },
    async layerSize(path) {
      return stat(inside(path)).then((info) => info.size, () => undefined);
    },
  };
}

