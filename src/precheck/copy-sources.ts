import type { Instruction } from "../buildkit/dockerfile-instructions.js";
import { leadingFlags, rawWords } from "../buildkit/dockerfile-words.js";
import { stageScopes } from "../buildkit/stage-scope.js";
import { expandWord } from "../buildkit/word-expansion.js";
import { copySourceMatcher } from "./copy-glob.js";

/** A COPY or ADD of the built stages that reads the build context. */
export interface ContextCopy {
  readonly line: number;
  readonly keyword: string;
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
    if ((keyword !== "COPY" && keyword !== "ADD") || stage === undefined || !reachable.has(stage)) return;
    if (leadingFlags(rest, escape).some((f) => f.name === "from")) return;
    const words = sourceWords(rest, escape);
    const sources = words.slice(0, -1).filter((w) => !/^<<-?/.test(w) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(w) && !w.startsWith("git@"));
    // A source the build cannot know yet (a variable from the base image): assume it takes everything.
    const matchers = sources.map((w) => expandWord(w, scopeAt(index), escape)).map((s) => (s === undefined ? () => true : copySourceMatcher(s)));
    if (matchers.length === 0) return;
    copies.push({ line, keyword, takes: (path) => matchers.some((m) => m(path)) });
  });
  return copies;
}

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
