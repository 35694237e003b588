import { spawn } from "node:child_process";
import { resolveDockerCli } from "../buildkit/docker-cli.js";
import { environmentError, inputError } from "../errors.js";
import { firstLine, probeCommand } from "../process/run.js";
import type { Pump, PumpOptions } from "./byte-pump.js";

/**
 * An engine safebuild cannot reach itself (`ssh://`, npipe, or a context of those) is read the slow
 * way: `docker save` through the docker CLI, which knows how, piped here. The pipe costs CPU
 * on small machines (see README: Performance); failing the scan would cost more.
 */


export interface CliExportOptions extends PumpOptions {
  /** the docker CLI the build used, if any; else `$SAFEBUILD_DOCKER`, then PATH */
  readonly docker: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/** `docker image inspect`: the image id, or what is wrong. */
export async function cliImageId(ref: string, options: CliExportOptions): Promise<{ id: string; docker: string }> {
  const docker = resolveDockerCli(options.docker, options.env, options.cwd).path;
  const inspect = await probeCommand(
    { command: docker, args: ["image", "inspect", "--format", "{{.Id}}", ref], env: { ...options.env }, inheritEnv: false },
    { signal: options.signal, timeoutMs: 120_000 },
  );
  if (options.signal?.aborted) throw options.signal.reason;
  const id = inspect.stdout.toString("utf8").trim();
  if (inspect.exitCode === 0 && /^sha256:[0-9a-f]{64}$/.test(id)) return { id, docker };
  const reason = firstLine(inspect.stderr);
  if (/no such (image|object)/i.test(reason)) throw inputError(`no such image: ${ref}`);
  throw environmentError(`\`docker image inspect\` through ${docker} failed${reason === "" ? "" : `: ${reason}`}`);
}

/** `docker save ID` through the CLI, its stdout walked as it comes, with backpressure. */
export function cliSavePump(docker: string, id: string, options: CliExportOptions): Pump {
  return async (sink, backlog) => {
    const child = spawn(docker, ["save", id], { env: { ...options.env }, stdio: ["ignore", "pipe", "pipe"], windowsHide: true });
    const stderr: Buffer[] = [];
    let stderrBytes = 0;
    child.stderr.on("data", (chunk: Buffer) => {
      if (stderrBytes < 64 * 1024) stderr.push(chunk);
      stderrBytes += chunk.length;
    });
    const exited = new Promise<{ code: number | null; error: NodeJS.ErrnoException | undefined }>((resolve) => {
      let error: NodeJS.ErrnoException | undefined;
      child.once("error", (e: NodeJS.ErrnoException) => (error = e));
      child.once("close", (code) => resolve({ code, error }));
    });
    const onAbort = (): void => void child.kill("SIGTERM");
    options.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
        if (options.signal?.aborted) throw options.signal.reason;
        options.onBytes?.(chunk.length);
        sink.write(chunk);
        if (backlog.pending) await backlog.settle();
      }
      const { code, error } = await exited;
      if (options.signal?.aborted) throw options.signal.reason;
      if (error !== undefined) throw environmentError(`cannot run the docker CLI ${docker}: ${error.code ?? "failed"}`);
      if (code !== 0) {
        const reason = firstLine(Buffer.concat(stderr));
        throw environmentError(`\`docker save\` through ${docker} failed (exit ${code ?? "signal"})${reason === "" ? "" : `: ${reason}`}`);
      }
      sink.end();
      await backlog.settle();
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    }
  };
}
