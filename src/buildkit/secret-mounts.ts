import { parseInstructions, escapeCharOf } from "./dockerfile-instructions.js";
import { leadingFlags } from "./dockerfile-words.js";
import { parseRunMount } from "./run-mount.js";
import { stageScopes } from "./stage-scope.js";
import { expandWord } from "./word-expansion.js";

/** One `RUN --mount=type=secret,…` of a Dockerfile. */
export interface SecretMount {
  /** As BuildKit derives it: `source`, else `id`, else the basename of `target`. */
  readonly id: string;
  /** The file it is mounted at; undefined for an `env=` mount with no target. */
  readonly target: string | undefined;
  /** `env=`: the variable the value is exposed in. */
  readonly env: string | undefined;
  readonly required: boolean;
  /** 1-based line of the RUN instruction. */
  readonly line: number;
  /** Whether the stage holding it is built (the target stage or one it depends on). */
  readonly reachable: boolean;
  /** The stage's `AS` name (lower case), which `--no-cache-filter` takes; undefined when it has none. */
  readonly stage: string | undefined;
  /** The id depends on a variable not known before the build: it cannot be checked. */
  readonly dynamic: boolean;
}

/** A `--mount` BuildKit would refuse, with its own reason. */
export interface MountProblem {
  readonly line: number;
  readonly reason: string;
  readonly reachable: boolean;
}

export interface DockerfileMounts {
  readonly mounts: SecretMount[];
  readonly problems: MountProblem[];
}

export interface MountReadOptions {
  readonly target?: string | undefined;
  /** `--build-arg` values by name (ids and targets may come from ARGs). */
  readonly buildArgs?: ReadonlyMap<string, string>;
}

/**
 * Every `RUN --mount` of a Dockerfile as BuildKit reads it (convert_secrets.go `dispatchSecret`
 * for the id), each marked with whether the build of `target` (default: the last stage) runs
 * it. BuildKit skips stages nothing depends on, so a bad mount there does not fail the build.
 */
export function readRunMounts(text: string, options: MountReadOptions = {}): DockerfileMounts {
  const escape = escapeCharOf(text.split(/\r?\n/));
  const instructions = parseInstructions(text);
  const { stageOf, stageName, scopeAt, reachable } = stageScopes(instructions, escape, options.buildArgs ?? new Map(), options.target);
  const mounts: SecretMount[] = [];
  const problems: MountProblem[] = [];
  instructions.forEach(({ keyword, rest, line }, index) => {
    const stage = stageOf(index);
    if (keyword !== "RUN" || stage === undefined) return;
    const scope = scopeAt(index);
    const isReachable = reachable.has(stage);
    for (const flag of leadingFlags(rest, escape)) {
      if (flag.name !== "mount") continue;
      const parsed = parseRunMount(flag.value, (word) => expandWord(word, scope, escape));
      if (parsed.error !== undefined) {
        problems.push({ line, reason: parsed.error, reachable: isReachable });
        continue;
      }
      const m = parsed.mount;
      if (m.type !== "secret") continue;
      const idSource = m.source ?? m.id;
      const dynamic = idSource === "$" || (idSource === undefined && m.target === "$");
      const id = dynamic ? "$" : (idSource ?? posixBase(m.target ?? ""));
      const target = m.target ?? (m.env === undefined ? `/run/secrets/${posixBase(id)}` : undefined);
      mounts.push({ id, target, env: m.env, required: m.required, line, reachable: isReachable, stage: stageName(stage), dynamic });
    }
  });
  return { mounts, problems };
}

/** The secret mounts alone (the pre-existing entry point). */
export const secretMountsOf = (text: string, target?: string, buildArgs?: ReadonlyMap<string, string>): SecretMount[] =>
  readRunMounts(text, { target, buildArgs: buildArgs ?? new Map() }).mounts;

/** Go's path.Base: the last element, trailing slashes dropped; "." for "", "/" for "/". */
export function posixBase(p: string): string {
  if (p === "") return ".";
  const trimmed = p.replace(/\/+$/, "");
  if (trimmed === "") return "/";
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}
