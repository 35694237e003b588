import { Backlog } from "../../bytes/backlog.js";
import type { Pump } from "../../bytes/pump.js";
import { startLayerScan, type LayerScan, type LayerScanContext } from "../layer/layer-scan.js";
import type { ScanProgress } from "../scan-progress.js";

/** What a store says when a layer's source fails, and when its bytes are not a tar the walker reads. */
export interface LayerErrors {
  lost(error: unknown): Error;
  unreadable(reason: string): Error;
}

/**
 * One layer scanned as `pump` pushes its bytes (a store that reads layers on demand: a layout's
 * file, the engine's storage). An interruption is rethrown as it is; a source that fails ends
 * the layer's stream on the digest thread before its error is thrown.
 */
export async function scanPumpedLayer(pump: Pump, ctx: LayerScanContext, progress: ScanProgress | undefined, errors: LayerErrors): Promise<LayerScan> {
  const backlog = new Backlog();
  const scanner = startLayerScan(ctx, backlog);
  progress?.layer();
  try {
    await pump(scanner.sink, backlog);
  } catch (error) {
    if (ctx.signal?.aborted) throw error;
    await scanner.finish().catch(() => undefined);
    throw errors.lost(error);
  }
  const result = await scanner.finish();
  if (result.error !== null) throw errors.unreadable(result.error);
  return result;
}
