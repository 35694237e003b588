import type { Instruction } from "../buildkit/dockerfile-instructions.js";
import { rawWords } from "../buildkit/dockerfile-words.js";
import type { PrecheckFinding } from "./finding.js";
import type { SecretSearch } from "./secret-search.js";
import { assignmentLine, unquoted } from "../scan/findings/setting-lines.js";

/**
 * The pattern rules' judgement of one `NAME=value` setting (the scan's settings rules, env-secret):
 * the rule and a preview of each value they take; none without rules.
 */
export type SettingJudge = (line: Buffer) => readonly { readonly rule: string; readonly preview: string }[];

/** Names that suggest a secret: a hint only (names say little; values decide). */
const SECRET_NAME = /(secret|token|passw(or)?d|passwd|api_?key|private_?key|credential|auth)/i;

/**
 * A Dockerfile instruction holding a secret value (an ARG or ENV default, a LABEL, a RUN
 * line): it is in the repository and, for every instruction but a build-stage-only ARG, in the
 * image's config or history. ARGs named like a secret get a note.
 */
export function checkDockerfileValues(instructions: readonly Instruction[], dockerfile: string, search: SecretSearch, judge?: SettingJudge): PrecheckFinding[] {
  const findings: PrecheckFinding[] = [];
  for (const { keyword, rest, line } of instructions) {
    const hits = search.inBytes(Buffer.from(rest));
    // a given secret's value is its own finding (below): the name adds nothing
    if (judge !== undefined && hits.length === 0 && (keyword === "ENV" || keyword === "ARG" || keyword === "LABEL")) findings.push(...settingFindings(keyword, rest, line, dockerfile, judge));
    for (const hit of hits) {
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

/**
 * `NAME=value` pairs of an ENV, ARG or LABEL (and ENV's old `ENV NAME value` form), quotes
 * around a name (`LABEL "com.acme.token"=…`, as docker's docs write label keys) or a value dropped.
 */
function assignments(keyword: string, rest: string): [string, string][] {
  const words = rawWords(rest);
  if (keyword === "ENV" && words.length >= 2 && !(words[0] ?? "").includes("=")) return [[words[0] ?? "", unquoted(words.slice(1).join(" "))]];
  return words.flatMap((word) => {
    // a quoted name may hold `=`: the assignment's is the first after its closing quote
    const quote = word[0] === '"' || word[0] === "'" ? word.indexOf(word[0], 1) : -1;
    const at = word.indexOf("=", quote + 1);
    return at > 0 ? [[unquoted(word.slice(0, at)), unquoted(word.slice(at + 1))] as [string, string]] : [];
  });
}

/**
 * A literal assigned to a name the settings rules take as a secret's (`ENV DB_PASSWORD=…`, an ARG's
 * default, a LABEL): an error before the build, at its line; the value is never named, only the
 * rule's preview (two characters of each end).
 */
function settingFindings(keyword: string, rest: string, line: number, dockerfile: string, judge: SettingJudge): PrecheckFinding[] {
  const findings: PrecheckFinding[] = [];
  for (const [name, value] of assignments(keyword, rest)) {
    const text = assignmentLine(name, value);
    if (text === null) continue;
    const bytes = Buffer.from(text, "utf8");
    for (const { rule, preview } of judge(bytes)) {
      findings.push({
        kind: "dockerfile-setting",
        severity: "error",
        secret: null,
        path: dockerfile,
        encoding: null,
        dockerfile: { path: dockerfile, line },
        message: `${dockerfile}:${line}: ${keyword} ${name} assigns a literal value named like a secret (rule ${rule}, ${preview}): ${keyword === "LABEL" ? "labels" : keyword === "ARG" ? "ARG defaults" : "ENV values"} are recorded in the image; pass it with --secret and RUN --mount=type=secret, or set it when the container runs`,
      });
    }
    bytes.fill(0);
  }
  return findings;
}
