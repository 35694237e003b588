import { escapeCharOf, parseInstructions, type Instruction } from "./dockerfile-instructions.js";
import { leadingFlags, rawWords } from "./dockerfile-words.js";
import { stageScopes } from "./stage-scope.js";

/**
 * Which Dockerfile line made an image layer, from the layer's history `created_by`: BuildKit
 * writes `RUN /bin/sh -c CMD # buildkit`, `COPY SRC DST # buildkit`, `WORKDIR /app`… for each
 * instruction of the stages the image is built on (the target and the stages it is built FROM).
 * A line is given only when exactly one such instruction matches the text: never a guess.
 */
export type LayerLines = (createdBy: string) => number | undefined;

/** Instructions that leave no history entry of their own. */
const NO_HISTORY = new Set(["FROM", "ARG", "ONBUILD"]);

export function layerLines(text: string, target: string | undefined, buildArgs: ReadonlyMap<string, string> = new Map()): LayerLines {
  const escape = escapeCharOf(text.split(/\r?\n/));
  const instructions = parseInstructions(text);
  const chain = builtOn(instructions, escape, buildArgs, target);
  return (createdBy) => {
    const history = normalize(createdBy.replace(/\s*# buildkit\s*$/, "").replace(/^\/bin\/sh -c #\(nop\)\s+/, ""));
    const matches = chain.filter((i) => describes(history, i, escape));
    return matches.length === 1 ? matches[0]?.line : undefined;
  };
}

/** The instructions whose history the image carries: the target stage and the stages it is built FROM. */
function builtOn(instructions: readonly Instruction[], escape: string, buildArgs: ReadonlyMap<string, string>, target: string | undefined): Instruction[] {
  const { stageOf } = stageScopes(instructions, escape, buildArgs, target);
  const names = new Map<string, number>();
  const parents: (number | undefined)[] = [];
  instructions.forEach((inst, index) => {
    if (inst.keyword !== "FROM") return;
    const words = rawWords(inst.rest, escape).filter((w) => !w.startsWith("--"));
    const stage = stageOf(index) ?? 0;
    parents[stage] = names.get((words[0] ?? "").toLowerCase());
    if (words[1]?.toLowerCase() === "as" && words[2] !== undefined) names.set(words[2].toLowerCase(), stage);
  });
  const last = parents.length - 1;
  let stage: number | undefined = target === undefined ? last : (names.get(target.toLowerCase()) ?? last);
  const stages = new Set<number>();
  while (stage !== undefined && !stages.has(stage)) {
    stages.add(stage);
    stage = parents[stage];
  }
  return instructions.filter((inst, index) => !NO_HISTORY.has(inst.keyword) && stages.has(stageOf(index) ?? -1));
}

function describes(history: string, inst: Instruction, escape: string): boolean {
  if (!history.toUpperCase().startsWith(`${inst.keyword} `) && history.toUpperCase() !== inst.keyword) return false;
  const words = rawWords(inst.rest, escape);
  const flags = leadingFlags(inst.rest, escape).length;
  const body = normalize(words.slice(flags).join(" "));
  if (body === "") return true;
  // the builder records ENV and LABEL with their variables expanded: such a one is known by its names
  if ((inst.keyword === "ENV" || inst.keyword === "LABEL") && body.includes("$")) return assignsNames(history, inst.keyword, words);
  // RUN: BuildKit prefixes the shell (`/bin/sh -c`) and, with build args in use, `|N K=V…`.
  return inst.keyword === "RUN" ? history.endsWith(body) || history.includes(` ${body}`) : history.endsWith(body) || history.includes(body);
}

const normalize = (text: string): string => text.replace(/\s+/g, " ").trim();

/** Whether `history` is `KEYWORD A=… B=…` for the names the instruction's words assign, in order (`ENV A value`: A). */
function assignsNames(history: string, keyword: string, words: readonly string[]): boolean {
  const names = words[0]?.includes("=") === false ? [words[0]] : words.map((w) => w.slice(0, w.indexOf("="))).filter((n) => n.length > 0);
  if (names.length === 0 || !history.startsWith(`${keyword} ${names[0]}=`)) return false;
  let at = 0;
  for (const name of names) {
    at = history.indexOf(`${name}=`, at);
    if (at === -1) return false;
    at += name.length + 1;
  }
  return true;
}
