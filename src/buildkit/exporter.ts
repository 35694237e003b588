import { usageError } from "../errors.js";
import type { Builder, EngineExport } from "./builder.js";
import { csvFields } from "./dockerfile-words.js";

const refusal = (spec: string, why: string): Error =>
  usageError(`-o ${spec}: ${why}; safebuild audits the image it loads into the engine (-o type=docker or no -o), export it after a clean scan`);

/** Reads a docker `--output` value the way buildx does; throws for exporters the audit cannot see. */
export function parseExporter(spec: string): EngineExport {
  // buildx: a value that is not key=value pairs is a local directory, or `-` for a tar on stdout.
  if (!spec.includes("=")) {
    throw refusal(spec, spec === "-" ? "a tar of the result's files on stdout is not an image the audit can read" : `writes the result as files in ${spec}, not an image the audit can read`);
  }
  const attrs: Record<string, string> = {};
  for (const field of csvFields(spec)) {
    const eq = field.indexOf("=");
    if (eq <= 0) throw usageError(`-o ${spec}: ${JSON.stringify(field)} is not key=value`);
    attrs[field.slice(0, eq).toLowerCase()] = field.slice(eq + 1);
  }
  const type = attrs["type"];
  if (type === undefined) throw usageError(`-o ${spec}: type= is required (docker, image, local, tar, oci, registry)`);
  if (type === "local" || type === "tar") throw refusal(spec, `the ${type} exporter writes the result's files, not an image the audit can read`);
  if (type === "registry" || attrs["push"] === "true") throw refusal(spec, "it pushes before the audit has seen the image");
  if (type === "oci" || ((type === "docker" || type === "image") && attrs["dest"] !== undefined)) {
    throw refusal(spec, "it writes an image tarball the engine never loads");
  }
  if (type !== "docker" && type !== "image") throw usageError(`-o ${spec}: unknown exporter type ${JSON.stringify(type)} (docker, image, local, tar, oci, registry)`);
  const names = (attrs["name"] ?? "").split(",").filter((n) => n !== "");
  return { spec, type, names, attrs };
}

/**
 * The builder arguments for an accepted export. docker 20.10's built-in BuildKit has no
 * docker/image exporter, but its default export is exactly that (the image in the engine):
 * there the flag is dropped and `name=` becomes tags. Other attributes cannot be honoured.
 */
export function exporterArgs(exp: EngineExport, builder: Builder): { readonly args: string[]; readonly tags: string[]; readonly load: boolean } {
  if (builder.kind === "classic-buildkit") {
    const extra = Object.keys(exp.attrs).filter((k) => k !== "type" && k !== "name" && !(k === "push" && exp.attrs[k] === "false"));
    if (extra.length > 0) {
      throw usageError(`-o ${exp.spec}: docker ${builder.clientVersion}'s builder has no ${exp.type} exporter; safebuild maps it to its default (the image in the engine), which takes only name=, not ${extra.join(", ")}`);
    }
    return { args: [], tags: [...exp.names], load: false };
  }
  if (exp.type === "image" && builder.load) {
    throw usageError(`-o ${exp.spec}: this buildx builder keeps a type=image result in its own store, where the audit cannot read it; use -o type=docker`);
  }
  // type=docker is what --load means; both at once is an error in buildx.
  return { args: ["--output", exp.spec], tags: [], load: false };
}
