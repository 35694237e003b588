import type { Instruction } from "./dockerfile-instructions.js";
import { csvFields, leadingFlags, rawWords } from "./dockerfile-words.js";
import { expandWord, type Scope } from "./word-expansion.js";

/**
 * The stages of a Dockerfile and the variables each instruction sees, as BuildKit scopes them:
 * ARGs before the first FROM are global (usable in FROM, and in a stage once re-declared with a
 * bare `ARG NAME`), a build argument overrides a declared default, ENV carries into a stage
 * built `FROM` an earlier one. Which stages run: the target (default the last) and what it
 * depends on through FROM, `COPY --from` and `--mount=from=`.
 */
export interface StageScopes {
  /** The stage index of instruction `index`, undefined before the first FROM. */
  stageOf(index: number): number | undefined;
  /** A stage's `AS` name (lower case), undefined when it has none. */
  stageName(stage: number): string | undefined;
  /** The variables instruction `index` sees. */
  scopeAt(index: number): Scope;
  readonly reachable: ReadonlySet<number>;
}

/** Set by the builder from the platform: unknown here, so a word using them is left to BuildKit. */
const AUTOMATIC = new Set(["TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT", "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT"]);

interface Stage {
  readonly name: string | undefined;
  readonly deps: Set<string>;
  env: Map<string, string | null>;
}

export function stageScopes(instructions: readonly Instruction[], escape: string, buildArgs: ReadonlyMap<string, string>, target: string | undefined): StageScopes {
  const meta = new Map<string, string | null>();
  const stages: Stage[] = [];
  const stageIndex: (number | undefined)[] = [];
  const scopes: Scope[] = [];
  let scope = new Map<string, string | null>();
  for (const { keyword, rest } of instructions) {
    if (keyword === "FROM") {
      const words = rawWords(rest, escape).filter((w) => !w.startsWith("--"));
      const base = (expandWord(words[0] ?? "", meta, escape) ?? "").toLowerCase();
      const name = words[1]?.toLowerCase() === "as" ? words[2]?.toLowerCase() : undefined;
      const parent = stages.findIndex((s) => s.name === base);
      const env = new Map(parent === -1 ? [] : (stages[parent]?.env ?? []));
      stages.push({ name, deps: new Set([base]), env });
      scope = new Map(env);
    } else if (keyword === "ARG") {
      for (const [name, value] of declarations(rest, escape)) {
        const declared = buildArgs.get(name) ?? (value === undefined ? (meta.get(name) ?? null) : expandWord(value, stages.length === 0 ? meta : scope, escape));
        const target = stages.length === 0 ? meta : scope;
        if (AUTOMATIC.has(name) && !buildArgs.has(name)) target.delete(name);
        else if (declared === undefined) target.delete(name);
        else target.set(name, declared);
      }
    } else if (keyword === "ENV") {
      const stage = stages.at(-1);
      for (const [name, value] of envPairs(rest, escape)) {
        const expanded = expandWord(value, scope, escape);
        if (expanded === undefined) scope.delete(name);
        else scope.set(name, expanded);
        if (stage === undefined) continue;
        if (expanded === undefined) stage.env.delete(name);
        else stage.env.set(name, expanded);
      }
    }
    const stage = stages.at(-1);
    if (stage !== undefined) {
      for (const flag of leadingFlags(rest, escape)) {
        const from = flag.name === "from" ? flag.value : flag.name === "mount" ? mountFrom(flag.value) : undefined;
        if (from !== undefined) stage.deps.add(from.toLowerCase());
      }
    }
    stageIndex.push(stages.length === 0 ? undefined : stages.length - 1);
    scopes.push(new Map(stages.length === 0 ? meta : scope));
  }
  return {
    stageOf: (index) => stageIndex[index],
    stageName: (stage) => stages[stage]?.name,
    scopeAt: (index) => scopes[index] ?? new Map(),
    reachable: reachableStages(stages, target),
  };
}

/** `ARG A B=2 "C=x y"`: each name with its default, undefined when it has none. */
function declarations(rest: string, escape: string): [string, string | undefined][] {
  return rawWords(rest, escape).map((word) => {
    const eq = word.indexOf("=");
    return eq === -1 ? [word, undefined] : [word.slice(0, eq), word.slice(eq + 1)];
  });
}

/** `ENV A=1 B=2`, or the old `ENV A value with spaces`. */
function envPairs(rest: string, escape: string): [string, string][] {
  const words = rawWords(rest, escape);
  const first = words[0];
  if (first === undefined) return [];
  if (!first.includes("=")) return [[first, rest.trim().slice(first.length).trim()]];
  return words.map((word) => {
    const eq = word.indexOf("=");
    return eq === -1 ? [word, ""] : [word.slice(0, eq), word.slice(eq + 1)];
  });
}

function mountFrom(value: string): string | undefined {
  for (const field of csvFields(value)) {
    const eq = field.indexOf("=");
    if (eq !== -1 && field.slice(0, eq).trim().toLowerCase() === "from") return field.slice(eq + 1);
  }
  return undefined;
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
