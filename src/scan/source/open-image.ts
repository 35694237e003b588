import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { describeFsError, environmentError, inputError } from "../../errors.js";
import type { BlobStore } from "./blob-store.js";
import { readArchive } from "./archive-store.js";
import { filePump } from "../../bytes/pump.js";
import { directoryStore } from "./directory-store.js";
import { dirTransportStore, isDirTransport } from "./dir-transport-store.js";
import { registryStore } from "./registry-store.js";
import { engineEndpoint, engineReadMode, openEngineImage, type ImageInfo } from "../../docker/engine-images.js";
import { storageStore } from "./storage-store.js";
import { cliImageId, cliSavePump } from "../../docker/cli-save.js";
import type { EarlyExport } from "./early-export.js";
import { classifyRef, looksLikePath, type SourceKind } from "./image-ref.js";
import { childEnv, secretTraces } from "../../secrets/child-env.js";
import type { LayerScanContext } from "../layer/layer-scan.js";
import type { ScanProgress } from "../scan-progress.js";

export interface OpenedSource {
  readonly store: BlobStore;
  /** the engine's image id; archives have none of their own */
  readonly id: string | null;
  /** read over the network (a registry): bytes that do not match their digest are an environment error */
  readonly remote?: boolean;
  /** read from the engine's storage rather than its export (digest mismatches say so) */
  readonly stored?: boolean;
  /** called once the scan is done with the source (a registry's connections) */
  readonly close?: () => void;
}

export interface SourceOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** What a docker CLI child gets (process/child-env.ts `export`). */
  readonly childEnv?: Readonly<Record<string, string>> | undefined;
  readonly onBytes: (count: number) => void;
  /** the docker CLI for engines safebuild cannot read itself (the build's, else the usual lookup) */
  readonly docker?: string | undefined;
  /** an export of this image already asked of the engine (startEarlyExport) */
  readonly early?: EarlyExport | undefined;
  readonly progress?: ScanProgress | undefined;
  /** how `registry:` references are reached (src/registry/) */
  readonly registry?: RegistrySettings | undefined;
}

export interface RegistrySettings {
  /** `--insecure-registry` hosts */
  readonly insecure: readonly string[];
  /** the environment of a `docker-credential-*` helper (child-env `build`) */
  readonly helperEnv: Readonly<Record<string, string>>;
  /** registry credentials and tokens go here (the masker) the moment they are read */
  readonly sensitive: (value: Buffer) => void;
}

const isSystemError = (error: unknown): boolean => error !== null && typeof error === "object" && "syscall" in error;

async function openEngine(target: string, ctx: LayerScanContext, options: SourceOptions): Promise<OpenedSource> {
  const endpoint = engineEndpoint(options.env);
  if (endpoint === undefined) return openThroughCli(target, ctx, options);
  const early = options.early?.target === target ? options.early : undefined;
  const onImage = (info: ImageInfo): void => options.progress?.expect({ bytes: info.size, layers: info.layers, exporting: true });
  early?.report(options.onBytes, onImage);
  const opened = await (early?.opened() ?? openEngineImage(endpoint, target, { mode: engineReadMode(options.env), signal: ctx.signal, onBytes: options.onBytes, onImage }));
  if ("stored" in opened) return { store: storageStore(opened.stored, opened.id, ctx, `image ${target}`, options), id: opened.id, stored: true };
  const { id, exported } = opened;
  try {
    return { store: await readArchive(exported.pump, ctx, `image ${target}`, options.progress), id };
  } catch (error) {
    if (isSystemError(error) && !ctx.signal?.aborted) throw environmentError(`lost the connection to the Docker engine while reading image ${target}`, error);
    throw error;
  } finally {
    await exported.close();
  }
}

async function openThroughCli(target: string, ctx: LayerScanContext, options: SourceOptions): Promise<OpenedSource> {
  const cli = { docker: options.docker, env: options.env, childEnv: options.childEnv, cwd: options.cwd, signal: ctx.signal, onBytes: options.onBytes };
  const { id, docker } = await cliImageId(target, cli);
  return { store: await readArchive(cliSavePump(docker, id, cli), ctx, `image ${target}`, options.progress), id };
}

async function openPath(target: string, ctx: LayerScanContext, options: SourceOptions, expect: SourceKind): Promise<OpenedSource> {
  const full = resolve(options.cwd, target);
  let info;
  try {
    info = await stat(full);
  } catch (error) {
    if (expect === "path" && !looksLikePath(target)) return openEngine(target, ctx, options);
    throw inputError(`${target}: ${describeFsError(error)}`, error);
  }
  if (info.isDirectory()) {
    if (expect === "archive") throw inputError(`${target}: is a directory, expected an image tarball`);
    const files = directoryStore(full, ctx, target, { onBytes: options.onBytes, progress: options.progress });
    return { store: (await isDirTransport(full)) ? dirTransportStore(files) : files, id: null };
  }
  options.progress?.expect({ bytes: info.size });
  try {
    return { store: await readArchive(filePump(full, { signal: ctx.signal, onBytes: options.onBytes }), ctx, target, options.progress), id: null };
  } catch (error) {
    if (isSystemError(error) && !ctx.signal?.aborted) throw inputError(`${target}: ${describeFsError(error)}`, error);
    throw error;
  }
}

async function openPodman(target: string, ctx: LayerScanContext, options: SourceOptions): Promise<OpenedSource> {
  const { podmanImageId, podmanSavePump } = await import("../../podman/podman-save.js");
  const cli = { env: options.env, childEnv: options.childEnv ?? childEnv("export", options.env, secretTraces([])), cwd: options.cwd, signal: ctx.signal, onBytes: options.onBytes };
  const { id, podman } = await podmanImageId(target, cli);
  return { store: await readArchive(podmanSavePump(podman, id, cli), ctx, `podman image ${target}`, options.progress), id };
}

async function openRegistry(target: string, ctx: LayerScanContext, options: SourceOptions): Promise<OpenedSource> {
  const { parseRegistryRef } = await import("../../registry/reference.js");
  const { RegistryClient } = await import("../../registry/client.js");
  const settings = options.registry ?? { insecure: [], helperEnv: {}, sensitive: () => undefined };
  const client = new RegistryClient(parseRegistryRef(target), { ...settings, env: options.env, signal: ctx.signal });
  return { store: registryStore(client, ctx, options.onBytes), id: null, remote: true, close: () => client.close() };
}

/** Opens the image a reference names; archives are read (and their layers scanned) here, in one pass. */
export function openSource(ref: string, ctx: LayerScanContext, options: SourceOptions): Promise<OpenedSource> {
  const { kind, target } = classifyRef(ref);
  if (target === "") throw inputError(`${ref}: empty image reference`);
  if (kind === "registry") return openRegistry(target, ctx, options);
  if (kind === "podman") return openPodman(target, ctx, options);
  return kind === "engine" ? openEngine(target, ctx, options) : openPath(target, ctx, options, kind);
}
