import { posix } from "node:path";
import { parseInstructions, escapeCharOf } from "./dockerfile-instructions.js";
import { csvFields, leadingFlags, splitWords } from "./dockerfile-words.js";

/** One `RUN --mount=type=secret,…` of a Dockerfile. */
export interface SecretMount {
  /** `id=`, else the basename of the target, as BuildKit defaults it. */
  readonly id: string;
  readonly target: string;
  readonly required: boolean;
  /** 1-based line of the RUN instruction. */
  readonly line: number;
  /** Whether the stage holding it is built (the target stage or one it depends on). */
  readonly reachable: boolean;
  /** The stage's `AS` name (lower case), which `--no-cache-filter` takes; undefined when it has none. */
  readonly stage: string | undefined;
  /** The id holds a `$` variable: it cannot be checked before the build. */
  readonly dynamic: boolean;
}

interface Stage {
  readonly name: string | undefined;
  readonly deps: Set<string>;
  readonly mounts: Omit<SecretMount, "reachable" | "stage">[];
}

const TRUE = new Set(["", "true", "1", "yes"]);

/**
 * Every secret mount of a Dockerfile, each marked with whether the build of `target`
 * (default: the last stage) runs it. BuildKit skips stages nothing depends on, so a
 * required mount in such a stage must not stop the build.
 */
export function secretMountsOf(text: string, target?: string): SecretMount[] {
  const escape = escapeCharOf(text.split(/\r?\n/));
  const stages: Stage[] = [];
  for (const { keyword, rest, line } of parseInstructions(text)) {
    if (keyword === "FROM") {
      const words = splitWords(rest, escape).map((w) => w.word).filter((w) => !w.startsWith("--"));
      const name = words[1]?.toLowerCase() === "as" ? words[2]?.toLowerCase() : undefined;
      stages.push({ name, deps: new Set(words[0] === undefined ? [] : [words[0].toLowerCase()]), mounts: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (stage === undefined) continue;
    for (const flag of leadingFlags(rest, escape)) {
      if (flag.name === "from") stage.deps.add(flag.value.toLowerCase());
      if (flag.name !== "mount" || keyword !== "RUN") continue;
      const fields = mountFields(flag.value);
      if (fields.get("from") !== undefined) stage.deps.add((fields.get("from") ?? "").toLowerCase());
      if (fields.get("type")?.toLowerCase() !== "secret") continue;
      const mount = secretMount(fields, line);
      if (mount !== undefined) stage.mounts.push(mount);
    }
  }
  const reachable = reachableStages(stages, target);
  return stages.flatMap((stage, index) => stage.mounts.map((m) => ({ ...m, stage: stage.name, reachable: reachable.has(index) })));
}

function mountFields(value: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const field of csvFields(value)) {
    const eq = field.indexOf("=");
    const key = (eq === -1 ? field : field.slice(0, eq)).trim().toLowerCase();
    fields.set(key === "dst" || key === "destination" ? "target" : key, eq === -1 ? "" : field.slice(eq + 1));
  }
  return fields;
}

function secretMount(fields: Map<string, string>, line: number): Omit<SecretMount, "reachable" | "stage"> | undefined {
  const givenTarget = fields.get("target") ?? "";
  const id = fields.get("id") || (givenTarget === "" ? "" : posix.basename(givenTarget));
  if (id === "") return undefined;
  const required = fields.has("required") && TRUE.has((fields.get("required") ?? "").toLowerCase());
  return { id, target: givenTarget || `/run/secrets/${id}`, required, line, dynamic: id.includes("$") };
}

function reachableStages(stages: readonly Stage[], target: string | undefined): Set<number> {
  const byName = new Map<string, number>();
  stages.forEach((s, i) => {
    if (s.name !== undefined) byName.set(s.name, i);
  });
  const start = target === undefined ? stages.length - 1 : byName.get(target.toLowerCase());
  // An unknown --target: the builder reports it; meanwhile check every stage.
  if (start === undefined) return new Set(stages.keys());
  const seen = new Set<number>();
  const queue = [start];
  while (queue.length > 0) {
    const index = queue.pop() ?? 0;
    if (seen.has(index) || stages[index] === undefined) continue;
    seen.add(index);
    for (const dep of stages[index].deps) {
      const byIndex = /^\d+$/.test(dep) ? Number(dep) : undefined;
      const found = byIndex !== undefined && byIndex < index ? byIndex : byName.get(dep);
      if (found !== undefined && found < index) queue.push(found);
    }
  }
  return seen;
}
