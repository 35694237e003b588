import { availableParallelism } from "node:os";

/**
 * libuv's pool size for this machine: one thread per core, 2 to 4. The pool inflates the gzip
 * files inside layers (and does fs work); its default of 4 threads on 2 cores, beside the walk,
 * the export reader and dockerd's own export, cost an engine scan about 0.2-0.3 s of the bench
 * image in interleaved runs.
 */
export const threadPoolSize = (cores: number): number => Math.min(4, Math.max(2, cores));

/**
 * Sizes libuv's pool unless the user chose (`UV_THREADPOOL_SIZE`). libuv reads the variable once,
 * when its first task starts the pool, so `start` must queue one now; the variable is then
 * removed again, so the docker CLI and secret commands see the environment they were given.
 * An ES module entry is too late (loading it already started the pool): the CommonJS launcher
 * (src/bin/safebuild.ts) calls this first.
 */
export function sizeThreadPool(env: NodeJS.ProcessEnv, start: () => void, cores = availableParallelism()): void {
  if (env["UV_THREADPOOL_SIZE"] !== undefined) return;
  env["UV_THREADPOOL_SIZE"] = String(threadPoolSize(cores));
  try {
    start();
  } finally {
    delete env["UV_THREADPOOL_SIZE"];
  }
}
