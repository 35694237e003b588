import type { ResolvedSecret } from "../secrets/secret.js";
import type { Finding, NotSearched, ScanResult } from "./findings/finding.js";
import { SafebuildError, isSafebuildError } from "../errors.js";
import { assembleFindings, assembleNotSearched, unreadableWarning, rulesStoppedReason, type ScannedImage } from "./findings/assemble.js";
import { RULES_SCOPE, SECRET_SCOPE } from "./findings/finding.js";
import { said } from "../redact/own-words.js";
import { censor } from "./findings/censor.js";
import type { EarlyExport } from "./source/early-export.js";
import type { ScanProgress } from "./scan-progress.js";
import { scanConfig } from "./findings/config-scan.js";
import { EntryBudget } from "./layer/entry-budget.js";
import { RecordBudget } from "./layer/installed-records.js";
import type { LayerScan, LayerScanContext } from "./layer/layer-scan.js";
import { planImages, type ImagePlan, type MissingImage } from "./layout/plan-images.js";
import { planReferrers, withReferrers } from "./layout/plan-referrers.js";
import type { BlobStore } from "./source/blob-store.js";
import { InflatedMemo } from "./content/inflated-memo.js";
import { ReusedInflater } from "./content/reused-inflater.js";
import { GatherPool } from "./content/gather-pool.js";
import { INFLATE_QUEUE_BYTES, InflateQueue } from "./content/nested-gzip.js";
import { ContentBudget } from "./content/limits.js";
import { wipeVariants } from "../match/variants.js";
import { buildNeedles, MIN_NEEDLE_BYTES, type NeedleTable } from "./findings/needles.js";
import type { CompiledRule } from "../rules/compile-rules.js";
import { openSource, type OpenedSource, type RegistrySettings } from "./source/open-image.js";
import { scanMetadata } from "./findings/metadata-scan.js";
import { verifyImage } from "./layout/verify-image.js";
import { prestartLayerThread } from "./layer/digest-thread.js";

export interface ScanRequest {
  /** An engine reference (`app:1`, `sha256:…`), a path, or a prefixed ref (`oci:DIR`, `docker-archive:FILE`…). */
  readonly ref: string;
  readonly secrets: readonly ResolvedSecret[];
  /** Pattern rules to run in the same pass (none: known values only). */
  readonly rules?: readonly CompiledRule[] | undefined;
  /** `os/arch[/variant]` to pick from a multi-platform index, or `all` for every platform. */
  readonly platform?: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  /** What a docker CLI child gets (process/child-env.ts `export`); default: that policy of `env`. */
  readonly childEnv?: Readonly<Record<string, string>> | undefined;
  readonly cwd: string;
  readonly signal?: AbortSignal | undefined;
  /** A progress indicator: sizes as sources learn them, layers, bytes read. */
  readonly progress?: ScanProgress | undefined;
  /** The docker CLI for an engine safebuild cannot read itself (ssh://): the build's, if any. */
  readonly docker?: string | undefined;
  /** The image's export, asked of the engine earlier (startEarlyExport); the caller closes it. */
  readonly early?: EarlyExport | undefined;
  /** The tar entry limits (default: entry-budget.ts's); smaller ones test a scan they stop. */
  readonly entries?: EntryBudget | undefined;
  /** `buildNeedles(secrets)` compiled earlier (build's checks before the builder use it too); wiped here all the same. */
  readonly needles?: NeedleTable | undefined;
  /** how `registry:` references are reached */
  readonly registry?: RegistrySettings | undefined;
}

const PROGRESS_STEP = 1024 * 1024;

const interrupted = (cause: unknown): SafebuildError =>
  new SafebuildError("interrupted", "scan interrupted", { cause, exitCode: 130 });

/**
 * Scans every layer of the image (never the flattened filesystem) and its config for every
 * variant of every secret. Archives and the engine stream are read once, front to back;
 * layers are attributed to their place in the image once the manifest is known.
 */
export async function scanImage(request: ScanRequest): Promise<ScanResult> {
  const started = performance.now();
  prestartLayerThread();
  const needles = request.needles ?? buildNeedles(request.secrets, request.rules ?? []);
  const warnings = [...needles.warnings];
  const inflater = new ReusedInflater();
  const budget = new ContentBudget();
  const ctx: LayerScanContext = {
    needles,
    signal: request.signal,
    inflating: new InflateQueue(INFLATE_QUEUE_BYTES),
    inflated: new InflatedMemo(),
    inflater,
    budget,
    deflate: new ReusedInflater("raw"),
    gathers: new GatherPool(),
    entries: request.entries ?? new EntryBudget(),
    records: new RecordBudget(),
  };
  let bytesRead = 0;
  let reported = 0;
  const onBytes = (count: number): void => {
    bytesRead += count;
    budget.read(count);
    needles.ruleLimits.read(count);
    if (request.progress && bytesRead - reported >= PROGRESS_STEP) {
      reported = bytesRead;
      request.progress.read(bytesRead);
    }
  };
  let source: OpenedSource | undefined;
  try {
    if (request.signal?.aborted) throw interrupted(request.signal.reason);
    source = await openSource(request.ref, ctx, { cwd: request.cwd, env: request.env, childEnv: request.childEnv, onBytes, docker: request.docker, early: request.early, progress: request.progress, registry: request.registry });
    const layout = await planImages(source.store, request.platform, request.ref, warnings);
    const plans = layout.images;
    const referring = awaitedLater(planReferrers(source.store, layout, request.ref)); // looked up while the layers stream
    await expectLayers(source.store, plans, request.progress);
    const images: ScannedImage[] = [];
    for (const plan of plans) {
      const config = scanConfig(plan.config, needles, request.ref);
      const layers: LayerScan[] = [];
      source.store.prefetch?.(plan.layerPaths);
      for (const path of plan.layerPaths) layers.push(await source.store.layer(path));
      verifyImage(plan, config, layers, request.ref, { id: source.id, remote: source.remote, stored: source.stored });
      images.push({ config, layers, blobDigests: plan.blobDigests });
    }
    const findings: Finding[] = images.flatMap((image, i) => assembleFindings(image, needles, images.length > 1 ? i : undefined, plans[i]?.platform));
    const referrers = await referring;
    const unreadMetadata: NotSearched[] = referrers.notSearched.map((n) => censorNotSearched(n, needles));
    findings.push(...(await scanMetadata(withReferrers(layout, referrers), source.store, needles, request.ref, warnings, unreadMetadata)));
    const notSearched = [...unsearchedWhole(needles, layout.missing), ...images.flatMap((image, i) => assembleNotSearched(image, needles, images.length > 1 ? i : undefined)), ...unreadMetadata];
    for (const malformed of images.map((image) => unreadableWarning(image, needles))) if (malformed !== undefined) warnings.push(malformed);
    const rulesLimit = needles.rulesStopped();
    // the rules stopped in a search that cannot name its place (metadata): said all the same
    if (rulesLimit !== null && !notSearched.some((n) => n.scope === RULES_SCOPE)) notSearched.push({ path: "", layer: null, reason: rulesStoppedReason(rulesLimit, false), scope: RULES_SCOPE });
    const distinct = new Set(images.flatMap((image) => image.layers));
    if (images.length > 1 && plans.every((p) => p.platform === undefined)) warnings.push(`${images.length} images in ${request.ref}: all scanned (findings carry an image index)`);
    request.progress?.read(bytesRead);
    return {
      image: { ref: request.ref, id: source.id ?? (plans.length === 1 ? (plans[0]?.configDigest ?? null) : null) },
      findings,
      notSearched,
      stats: {
        layers: distinct.size,
        files: [...distinct].reduce((n, layer) => n + layer.files, 0),
        bytes: [...distinct].reduce((n, layer) => n + layer.bytes, 0),
        durationMs: Math.round(performance.now() - started),
      },
      warnings: warnings.map((w) => censor(w, needles)),
    };
  } catch (error) {
    if (request.signal?.aborted) throw isSafebuildError(error) && error.kind === "interrupted" ? error : interrupted(error);
    throw error;
  } finally {
    source?.close?.();
    // The encoded copies of every secret live only as long as the scan.
    wipeVariants(needles.variants);
    inflater.close();
    ctx.deflate?.close();
  }
}

/** A promise awaited later: a rejection meanwhile is not unhandled, the await still throws it. */
function awaitedLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** An entry whose path and reason came from what a registry or an image says. */
const censorNotSearched = (n: NotSearched, needles: NeedleTable): NotSearched => ({ ...n, path: censor(n.path, needles), reason: censor(n.reason, needles) });

/**
 * What was searched nowhere: a secret too short to search (the scan cannot say it is not there),
 * and an image the index lists that the source does not hold.
 */
function unsearchedWhole(needles: NeedleTable, missing: readonly MissingImage[]): NotSearched[] {
  const shortSecrets = needles.unsearched.map((id): NotSearched => ({ path: "", layer: null, reason: said`secret "${id}" is shorter than ${MIN_NEEDLE_BYTES} bytes: searched nowhere`, scope: SECRET_SCOPE, secret: id }));
  return [...shortSecrets, ...missing.map((m): NotSearched => ({ path: m.path, layer: null, reason: m.reason }))];
}

/** A store that reads layers on demand (an OCI layout) knows their sizes before reading them. */
async function expectLayers(store: BlobStore, plans: readonly ImagePlan[], progress: ScanProgress | undefined): Promise<void> {
  if (progress === undefined || store.layerSize === undefined) return;
  const paths = [...new Set(plans.flatMap((plan) => plan.layerPaths))];
  const sizes = await Promise.all(paths.map((path) => store.layerSize?.(path)));
  progress.expect({ bytes: sizes.reduce<number>((sum, size) => sum + (size ?? 0), 0), layers: paths.length });
}
