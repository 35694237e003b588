import { layerLines } from "../buildkit/layer-lines.js";
import type { Finding } from "../scan/findings/finding.js";

/** Adds `dockerfile: {path, line}` to each layer or history finding whose history line names one instruction. */
export function withDockerfileLines(findings: readonly Finding[], dockerfile: { readonly path: string; readonly text: string } | undefined, target: string | undefined, buildArgs: ReadonlyMap<string, string>): Finding[] {
  if (dockerfile === undefined) return [...findings];
  const lineOf = layerLines(dockerfile.text, target, buildArgs);
  return findings.map((f) => {
    const createdBy = f.layer?.createdBy ?? f.createdBy;
    const line = createdBy ? lineOf(createdBy) : undefined;
    return line === undefined ? f : { ...f, dockerfile: { path: dockerfile.path, line } };
  });
}
