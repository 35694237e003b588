import { statSync } from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../atomic-file.js";
import { describeFsError, inputError } from "../errors.js";

/** An OCI descriptor as buildx reports the result (`containerimage.descriptor`). */
export interface ImageDescriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

export interface BuildFacts {
  /** The image config's digest (the engine's image id); undefined for an index (several configs). */
  readonly configDigest: string | undefined;
  /** What a pull by digest names: the pushed manifest or index; the image id when nothing was pushed (as docker's own exporter says). */
  readonly imageDigest: string;
  readonly descriptor: ImageDescriptor | undefined;
  /** The image's names (the pushed tags when pushed). */
  readonly names: readonly string[];
}

/** The keys buildx writes to `--metadata-file` for an image result, from what safebuild knows. */
export function buildMetadata(facts: BuildFacts): Record<string, unknown> {
  return {
    ...(facts.configDigest === undefined ? {} : { "containerimage.config.digest": facts.configDigest }),
    ...(facts.descriptor === undefined ? {} : { "containerimage.descriptor": facts.descriptor }),
    "containerimage.digest": facts.imageDigest,
    ...(facts.names.length === 0 ? {} : { "image.name": facts.names.join(",") }),
  };
}

/** Checked before the build, so a bad path costs nothing: a directory, or a folder that is not there. */
export function checkMetadataFile(file: string, cwd: string): void {
  const target = path.resolve(cwd, file);
  const isDir = (p: string): boolean | undefined => {
    try {
      return statSync(p).isDirectory();
    } catch {
      return undefined;
    }
  };
  if (isDir(target) === true) throw inputError(`--metadata-file ${file}: is a directory; name a file`);
  if (isDir(path.dirname(target)) !== true) throw inputError(`--metadata-file ${file}: the folder ${path.dirname(file)} does not exist`);
}

/** Written atomically, 0644, as JSON with two-space indents (as buildx does). */
export async function writeMetadataFile(file: string, metadata: Record<string, unknown>, cwd: string): Promise<void> {
  checkMetadataFile(file, cwd);
  await writeFileAtomic(path.resolve(cwd, file), `${JSON.stringify(metadata, null, 2)}\n`).catch((error: unknown) => {
    throw inputError(`cannot write --metadata-file ${file}: ${describeFsError(error)}`, error);
  });
}
