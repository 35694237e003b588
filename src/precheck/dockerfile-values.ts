import type { Instruction } from "../buildkit/dockerfile-instructions.js";
import { rawWords } from "../buildkit/dockerfile-words.js";
import type { PrecheckFinding } from "./finding.js";
import type { SecretSearch } from "./secret-search.js";

/** Names that suggest a secret: a hint only (names say little; values decide). */
const SECRET_NAME = /(secret|token|passw(or)?d|passwd|api_?key|private_?key|credential|auth)/i;

/**
 * A Dockerfile instruction holding a secret value (an ARG or ENV default, a LABEL, a RUN
 * line): it is in the repository and, for every instruction but a build-stage-only ARG, in the
 * image's config or history. ARGs named like a secret get a note.
 */
export function checkDockerfileValues(instructions: readonly Instruction[], dockerfile: string, search: SecretSearch): PrecheckFinding[] {
  const findings: PrecheckFinding[] = [];
  for (const { keyword, rest, line } of instructions) {
    for (const hit of search.inBytes(Buffer.from(rest))) {
      findings.push({
        kind: "dockerfile-value",
        severity: "error",
        secret: hit.secret,
        path: dockerfile,
        encoding: hit.encoding,
        dockerfile: { path: dockerfile, line },
        message: `${dockerfile}:${line}: ${keyword} holds secret "${hit.secret}" (${hit.encoding}): ${keyword === "ARG" || keyword === "ENV" || keyword === "LABEL" ? "defaults and labels are recorded in the image" : "the instruction text is recorded in the image history"}; use --secret and RUN --mount=type=secret`,
      });
    }
    if (keyword !== "ARG") continue;
    for (const word of rawWords(rest)) {
      const name = word.split("=", 1)[0] ?? "";
      if (!SECRET_NAME.test(name)) continue;
      findings.push({
        kind: "arg-name",
        severity: "note",
        secret: null,
        path: name,
        encoding: null,
        dockerfile: { path: dockerfile, line },
        message: `${dockerfile}:${line}: ARG ${name} is named like a secret: build arguments are recorded in the image; a secret belongs in RUN --mount=type=secret`,
      });
    }
  }
  return findings;
}
