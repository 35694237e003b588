import { engineEndpoint, engineReadMode, openEngineImage, type EngineEndpoint, type EngineRead, type ImageInfo } from "../../docker/engine-images.js";
import { engineTarget } from "./image-ref.js";

/** An image's export, asked of the engine before the scan is ready to read it. */
export interface EarlyExport {
  /** the engine reference it exports */
  readonly target: string;
  /** The image id and its files or its export once the engine has answered; rejects with what went wrong. */
  opened(): Promise<EngineRead>;
  /** Where the export's byte counts and the image's size go (the progress indicator), once the scan knows. */
  report(onBytes: (count: number) => void, onImage?: (info: ImageInfo) => void): void;
  /** Stops the export, whatever state it is in (idempotent). */
  close(): Promise<void>;
}

/**
 * The engine image `ref` names and where that engine listens, when safebuild reads its export
 * itself; undefined for files, layouts and engines reached through the docker CLI (ssh://).
 */
export function directEngineTarget(ref: string, env: NodeJS.ProcessEnv, cwd: string): { target: string; endpoint: EngineEndpoint } | undefined {
  const target = engineTarget(ref, cwd);
  const endpoint = target === undefined ? undefined : engineEndpoint(env);
  return target === undefined || endpoint === undefined ? undefined : { target, endpoint };
}

/**
 * Asks the engine for the image's export now (unless its storage can be read instead), so the
 * seconds dockerd 20.10 spends writing the whole export to its temp dir before the first byte
 * also cover what the scan does before it can read (resolving secrets, building their
 * variants): about 0.1 s of every engine scan.
 * Undefined when `ref` is not an engine image safebuild reads itself (files, `ssh://`).
 * The caller closes it whatever happens; until the scan awaits it, its errors wait too.
 */
export function startEarlyExport(ref: string, options: { env: NodeJS.ProcessEnv; cwd: string; signal: AbortSignal }): EarlyExport | undefined {
  const direct = directEngineTarget(ref, options.env, options.cwd);
  if (direct === undefined) return undefined;
  const { target, endpoint } = direct;
  // stops the export before the engine has answered too: its own signal, following the command's
  const stopping = new AbortController();
  const follow = (): void => stopping.abort(options.signal.reason);
  options.signal.addEventListener("abort", follow, { once: true });
  if (options.signal.aborted) follow();
  let onBytes: ((count: number) => void) | undefined;
  let onImage: ((info: ImageInfo) => void) | undefined;
  let image: ImageInfo | undefined;
  const opening = openEngineImage(endpoint, target, {
    mode: engineReadMode(options.env),
    signal: stopping.signal,
    onBytes: (count) => onBytes?.(count),
    onImage: (info) => {
      image = info;
      onImage?.(info);
    },
  });
  // awaited by the scan, or never (the command failed first): no unhandled rejection either way
  opening.catch(() => undefined);
  let closing: Promise<void> | undefined;
  return {
    target,
    opened: () => opening,
    report: (bytes, info) => {
      onBytes = bytes;
      onImage = info;
      // the inspect may have answered before the scan asked
      if (image !== undefined) info?.(image);
    },
    close: () => {
      closing ??= (async () => {
        options.signal.removeEventListener("abort", follow);
        stopping.abort(new Error("the scan is over"));
        const opened = await opening.catch(() => undefined);
        if (opened !== undefined && "exported" in opened) await opened.exported.close();
      })();
      return closing;
    },
  };
}
