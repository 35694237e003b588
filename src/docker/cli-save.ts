import { resolveDockerCli } from "./cli-path.js";
import { environmentError, inputError } from "../errors.js";
import { childEnv, secretTraces } from "../secrets/child-env.js";
import { firstLine, runCommand } from "../process/run.js";
import { stdoutPump } from "../process/stdout-pump.js";
import type { Pump, PumpOptions } from "../bytes/pump.js";

/**
 * An engine safebuild cannot reach itself (`ssh://`, npipe, or a context of those) is read the slow
 * way: `docker save` through the docker CLI, which knows how, piped here. The pipe costs CPU
 * on small machines (see README: Performance); failing the scan would cost more.
 */


export interface CliExportOptions extends PumpOptions {
  /** the docker CLI the build used, if any; else `$SAFEBUILD_DOCKER`, then PATH */
  readonly docker: string | undefined;
  /** Where the CLI is looked up (`SAFEBUILD_DOCKER`, PATH); never given to the child as it is. */
  readonly env: NodeJS.ProcessEnv;
  /** The children's environment (the run's `export` policy); default: that policy without secrets. */
  readonly childEnv?: Readonly<Record<string, string>> | undefined;
  readonly cwd: string;
}

/** `docker image inspect`: the image id, or what is wrong. */
export async function cliImageId(ref: string, options: CliExportOptions): Promise<{ id: string; docker: string }> {
  const docker = resolveDockerCli(options.docker, options.env, options.cwd).path;
  const inspect = await runCommand(
    { command: docker, args: ["image", "inspect", "--format", "{{.Id}}", ref], env: exportEnv(options), inheritEnv: false },
    { signal: options.signal, timeoutMs: 120_000, hotPath: true, output: { kind: "capture", maxBuffer: 1024 * 1024 } },
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
  return stdoutPump({ command: docker, args: ["save", id], env: exportEnv(options), what: "docker save", who: "the docker CLI" }, options);
}

/** What the CLI gets: the caller's filtered environment, else the `export` policy of `env`. */
const exportEnv = (options: CliExportOptions): Record<string, string> => ({ ...(options.childEnv ?? childEnv("export", options.env, secretTraces([]))) });
