import type { Pump, PumpOptions } from "../bytes/pump.js";
import { environmentError } from "../errors.js";
import { firstLine, startCommand } from "./run.js";

/** A `docker save` or `podman save` child: what runs, and the name its failures are told by. */
export interface SaveCommand {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Record<string, string>;
  /** `docker save`, `podman save`: the words of an error line */
  readonly what: string;
  /** `the docker CLI`, `podman`: who could not be run */
  readonly who: string;
}

/** A child's stdout walked as it comes, with backpressure; its failure is an environment error of one line. */
export function stdoutPump(save: SaveCommand, options: PumpOptions): Pump {
  return async (sink, backlog) => {
    const child = startCommand({ command: save.command, args: [...save.args], env: save.env, inheritEnv: false }, { signal: options.signal, output: { kind: "read" } });
    try {
      for await (const chunk of child.stdout) {
        if (options.signal?.aborted) throw options.signal.reason;
        options.onBytes?.(chunk.length);
        sink.write(chunk);
        if (backlog.pending) await backlog.settle();
      }
      const result = await child.exited;
      if (options.signal?.aborted) throw options.signal.reason;
      if (result.spawnError !== undefined) throw environmentError(`cannot run ${save.who} ${save.command}: ${result.spawnError.code ?? "failed"}`);
      if (result.exitCode !== 0) {
        const reason = firstLine(result.stderr);
        throw environmentError(`\`${save.what}\` through ${save.command} failed (exit ${result.exitCode ?? "signal"})${reason === "" ? "" : `: ${reason}`}`);
      }
      sink.end();
      await backlog.settle();
    } finally {
      child.stop();
    }
  };
}
