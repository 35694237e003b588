import type { Instruction } from "../buildkit/dockerfile-instructions.js";
import { leadingFlags, rawWords } from "../buildkit/dockerfile-words.js";
import { stageScopes } from "../buildkit/stage-scope.js";
import { expandWord } from "../buildkit/word-expansion.js";

/** A COPY or ADD of the built stages that reads the build context. */
export interface ContextCopy {
  readonly line: number;
  readonly keyword: string;
  /** Whether it takes this context path (relative, `/`-separated) into the image. */
  takes(path: string): boolean;
}

/**
 * The COPY/ADD instructions of the stages the build runs that read the context (no `--from`),
 * with their sources expanded and matched the way BuildKit matches them: a directory copies
 * everything under it; `*`, `?` and `[…]` match within one path element.
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
    const patterns = sources.map((w) => expandWord(w, scopeAt(index), escape)).map((s) => (s === undefined ? undefined : clean(s)));
    const matchers = patterns.map((p) => (p === undefined || p === "" ? () => true : matcherOf(p)));
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

/** `./a//b/` → `a/b`; `.` and `/` → "" (the whole context). */
function clean(source: string): string {
  const parts: string[] = [];
  for (const part of source.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return parts.join("/");
}

/** Go's filepath.Match per element; a match on the path or on any directory above it. */
function matcherOf(pattern: string): (path: string) => boolean {
  const regex = new RegExp(`^${pattern.split("/").map(elementRegex).join("/")}(/.*)?$`, "s");
  return (path) => regex.test(path);
}

function elementRegex(element: string): string {
  let out = "";
  for (let i = 0; i < element.length; i += 1) {
    const ch = element[i] ?? "";
    if (ch === "*") out += "[^/]*";
    else if (ch === "?") out += "[^/]";
    else if (ch === "[") {
      const close = element.indexOf("]", i + 1);
      if (close === -1) out += "\\[";
      else {
        const body = element.slice(i + 1, close).replace(/^\^|^!/, "^").replace(/\\/g, "\\\\");
        out += `[${body}]`;
        i = close;
      }
    } else if (ch === "\\" && i + 1 < element.length) out += escapeRegex(element[++i] ?? "");
    else out += escapeRegex(ch);
  }
  return out;
}

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
