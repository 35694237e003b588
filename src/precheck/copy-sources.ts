import type { Instruction } from "../buildkit/dockerfile-instructions.js";
import { leadingFlags, rawWords } from "../buildkit/dockerfile-words.js";
import { stageScopes } from "../buildkit/stage-scope.js";
import { expandWord } from "../buildkit/word-expansion.js";
import { copySourceMatcher } from "./copy-glob.js";
import { parseRunMount } from "../buildkit/run-mount.js";

/** A COPY or ADD of the built stages that reads the build context, or a RUN that bind-mounts it. */
export interface ContextCopy {
  readonly line: number;
  readonly keyword: string;
  /** `bind`: a `RUN --mount=type=bind` without `from`: the step reads the files, no layer holds them. */
  readonly kind: "copy" | "bind";
  /** Whether it takes this context path (relative, `/`-separated) into the image. */
  takes(path: string): boolean;
}

/**
 * The COPY/ADD instructions of the stages the build runs that read the context (no `--from`),
 * with their sources expanded and matched the way BuildKit matches them (copy-glob.ts).
 */
export function contextCopies(instructions: readonly Instruction[], escape: string, buildArgs: ReadonlyMap<string, string>, target: string | undefined): ContextCopy[] {
  const { stageOf, scopeAt, reachable } = stageScopes(instructions, escape, buildArgs, target);
  const copies: ContextCopy[] = [];
  instructions.forEach(({ keyword, rest, line }, index) => {
    const stage = stageOf(index);
    if (stage === undefined || !reachable.has(stage)) return;
    if (keyword === "RUN") {
      copies.push(...contextBinds(rest, escape, (word) => expandWord(word, scopeAt(index), escape), line));
      return;
    }
    if (keyword !== "COPY" && keyword !== "ADD") return;
    if (leadingFlags(rest, escape).some((f) => f.name === "from")) return;
    const words = sourceWords(rest, escape);
    const sources = words.slice(0, -1).filter((w) => !/^<<-?/.test(w) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(w) && !w.startsWith("git@"));
    // A source the build cannot know yet (a variable from the base image): assume it takes everything.
    const matchers = sources.map((w) => expandWord(w, scopeAt(index), escape)).map((s) => (s === undefined ? () => true : copySourceMatcher(s)));
    if (matchers.length === 0) return;
    copies.push({ line, keyword, kind: "copy", takes: (path) => matchers.some((m) => m(path)) });
  });
  return copies;
}

/**
 * `RUN --mount=type=bind` without `from` mounts the context's `source` (a plain path, no glob;
 * default the whole context) into the step, as BuildKit's dispatchRunMounts does. A source
 * unknown before the build is taken as the whole context. Refused mounts are reported elsewhere.
 */
function contextBinds(rest: string, escape: string, expand: (word: string) => string | undefined, line: number): ContextCopy[] {
  const binds: ContextCopy[] = [];
  for (const flag of leadingFlags(rest, escape)) {
    if (flag.name !== "mount") continue;
    const { mount } = parseRunMount(flag.value, expand);
    if (mount?.type !== "bind" || mount.from !== undefined || mount.unknown.has("from")) continue;
    const source = mount.unknown.has("source") ? "" : cleanPath(mount.source ?? "");
    binds.push({ line, keyword: "RUN --mount=type=bind", kind: "bind", takes: (path) => source === "" || path === source || path.startsWith(`${source}/`) });
  }
  return binds;
}

const cleanPath = (p: string): string => p.split("/").reduce<string[]>((parts, part) => (part === ".." ? parts.slice(0, -1) : part === "" || part === "." ? parts : [...parts, part]), []).join("/");

/** The words after the flags; the JSON form `["a", "b", "/dst"]` too. */
function sourceWords(rest: string, escape: string): string[] {
  const words = rawWords(rest, escape);
  const first = words.findIndex((w) => !w.startsWith("--"));
  const tail = first === -1 ? "" : words.slice(first).join(" ");
  if (tail.startsWith("[")) {
    try {
      const parsed: unknown = JSON.parse(tail);
      if (Array.isArray(parsed) && parsed.every((x) => typeof x === "string")) return parsed.map((s: string) => s.replace(/[$'"\\]/g, "\\$&"));
    } catch {
      // not JSON: the shell form below
    }
  }
  return first === -1 ? [] : words.slice(first);
}
