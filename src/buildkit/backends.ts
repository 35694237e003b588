import type { CommandSpec } from "../process/run.js";
import type { BackendKind, Builder, BuildRequest } from "./builder.js";
import { csvField } from "./dockerfile-words.js";
import { exporterArgs } from "./exporter.js";

const repeat = (flag: string, values: readonly string[]): string[] => values.flatMap((v) => [flag, v]);
const optional = (flag: string, value: string | undefined): string[] => (value === undefined ? [] : [flag, value]);

/** The `docker build` flags both backends share, in a stable order. */
export function commonBuildArgs(req: BuildRequest, exportTags: readonly string[] = []): string[] {
  return [
    "--progress=plain",
    "--iidfile",
    req.iidfile,
    ...optional("--file", req.dockerfile),
    ...repeat("--tag", [...req.tags, ...exportTags.filter((t) => !req.tags.includes(t))]),
    ...repeat("--build-arg", req.buildArgs),
    ...repeat("--label", req.labels),
    ...optional("--target", req.target),
    ...optional("--platform", req.platform),
    ...(req.noCache ? ["--no-cache"] : []),
    ...(req.pull ? ["--pull"] : []),
    // A reference to a private file, never the value: BuildKit reads it over the session.
    ...req.secrets.flatMap((s) => ["--secret", `${csvField(`id=${s.id}`)},${csvField(`src=${s.path}`)}`]),
    ...(req.builderFlags ?? []),
  ];
}

/** Each backend's command as data; the caller runs it through the one process runner. */
export const backends: Record<BackendKind, (builder: Builder, req: BuildRequest) => CommandSpec> = {
  buildx: (builder, req) => {
    if (req.ociLayout !== undefined) {
      // Every platform of `--platform a,b` and its attestations land there, which --load cannot do.
      const output = ["--output", `type=oci,${csvField(`dest=${req.ociLayout}`)},tar=false`];
      return { command: builder.docker, args: ["buildx", "build", ...commonBuildArgs(req), ...output, ...req.passthrough, req.context], env: {} };
    }
    const exported = req.exporter === undefined ? undefined : exporterArgs(req.exporter, builder);
    const load = exported === undefined ? builder.load : exported.load;
    return {
      command: builder.docker,
      args: ["buildx", "build", ...commonBuildArgs(req, exported?.tags), ...(exported?.args ?? []), ...(load ? ["--load"] : []), ...req.passthrough, req.context],
      env: {},
    };
  },
  "classic-buildkit": (builder, req) => {
    const exported = req.exporter === undefined ? undefined : exporterArgs(req.exporter, builder);
    return {
      command: builder.docker,
      args: ["build", ...commonBuildArgs(req, exported?.tags), ...(exported?.args ?? []), ...req.passthrough, req.context],
      env: { DOCKER_BUILDKIT: "1" },
    };
  },
};

export const buildCommandSpec = (builder: Builder, req: BuildRequest): CommandSpec => backends[builder.kind](builder, req);
