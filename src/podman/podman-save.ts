import { resolve } from "node:path";
import { findOnPath } from "../docker/cli-path.js";
import type { Pump, PumpOptions } from "../bytes/pump.js";
import { environmentError, inputError } from "../errors.js";
import { firstLine, runCommand } from "../process/run.js";
import { stdoutPump } from "../process/stdout-pump.js";

/**
 * Images in podman's local storage (`podman build`, `podman pull`): `podman save` through the
 * podman CLI, its docker-archive on stdout walked as it comes, like `docker save` for an
 * engine safebuild cannot reach itself. Nothing is written to disk.
 */
export interface PodmanOptions extends PumpOptions {
  /** Where podman is looked up (`SAFEBUILD_PODMAN`, PATH); never given to the child as it is. */
  readonly env: NodeJS.ProcessEnv;
  /** The child's environment (the run's `export` policy). */
  readonly childEnv: Readonly<Record<string, string>>;
  readonly cwd: string;
}

/** `$SAFEBUILD_PODMAN`, else `podman` on PATH. */
export function resolvePodman(env: NodeJS.ProcessEnv, cwd: string): string {
  const choice = env["SAFEBUILD_PODMAN"];
  if (choice !== undefined && choice !== "") return choice.includes("/") ? resolve(cwd, choice) : (findOnPath(choice, env["PATH"])[0] ?? choice);
  const found = findOnPath("podman", env["PATH"])[0];
  if (found === undefined) throw environmentError("podman is not installed (no podman on PATH; SAFEBUILD_PODMAN names another)");
  return found;
}

/** `podman image inspect`: the image id (`sha256:…`), or what is wrong. */
export async function podmanImageId(ref: string, options: PodmanOptions): Promise<{ id: string; podman: string }> {
  const podman = resolvePodman(options.env, options.cwd);
  const inspect = await runCommand(
    { command: podman, args: ["image", "inspect", "--format", "{{.Id}}", ref], env: { ...options.childEnv }, inheritEnv: false },
    { signal: options.signal, timeoutMs: 120_000, output: { kind: "capture", maxBuffer: 1024 * 1024 } },
  );
  if (options.signal?.aborted) throw options.signal.reason;
  if (inspect.spawnError !== undefined) throw environmentError(`cannot run podman ${podman}: ${inspect.spawnError.code ?? "failed"}`);
  // podman prints the bare hex; one line per image when a name matched several (it does not)
  const id = inspect.stdout.toString("utf8").trim().replace(/^sha256:/, "");
  if (inspect.exitCode === 0 && /^[0-9a-f]{64}$/.test(id)) return { id: `sha256:${id}`, podman };
  const reason = firstLine(inspect.stderr);
  if (/image not known|no such (image|object)|failed to find image/i.test(reason)) throw inputError(`no such image in podman's storage: ${ref}`);
  throw environmentError(`\`podman image inspect\` through ${podman} failed${reason === "" ? "" : `: ${reason}`}`);
}

/** `podman save ID` (docker-archive on stdout), walked as it comes, with backpressure. */
export function podmanSavePump(podman: string, id: string, options: PodmanOptions): Pump {
  const args = ["save", "--format", "docker-archive", id.slice("sha256:".length)];
  return stdoutPump({ command: podman, args, env: { ...options.childEnv }, what: "podman save", who: "podman" }, options);
}
