/**
 * A Dockerfile as a list of logical instructions, the way BuildKit's parser sees them:
 * parser directives (`# escape=`), comments, line continuations and heredoc bodies handled,
 * so a `RUN --mount` written inside a heredoc or a comment is never mistaken for one.
 */
export interface Instruction {
  /** Upper-cased keyword: RUN, FROM, COPY… */
  readonly keyword: string;
  /** Everything after the keyword, continuations joined, heredoc bodies removed. */
  readonly rest: string;
  /** 1-based line where the instruction starts. */
  readonly line: number;
}

const HEREDOC_KEYWORDS = new Set(["RUN", "COPY", "ADD"]);
// `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'`; not `<<<` (a here-string).
const HEREDOC = /(?<!<)<<(?!<)(-?)\s*(["']?)([A-Za-z_][A-Za-z0-9_.-]*)\2/g;
const SKIPPED = /^\s*(#|$)/;

export function escapeCharOf(lines: readonly string[]): string {
  let escape = "\\";
  for (const raw of lines) {
    // Directives stop at the first line that is not one (an empty line included).
    const match = /^\s*#\s*([A-Za-z]+)\s*=\s*(\S*)\s*$/.exec(raw);
    if (match === null) break;
    if (match[1]?.toLowerCase() === "escape" && (match[2] === "`" || match[2] === "\\")) escape = match[2];
  }
  return escape;
}

export function parseInstructions(text: string): Instruction[] {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const escape = escapeCharOf(lines);
  const continuation = new RegExp(`${escape === "\\" ? "\\\\" : "`"}[ \\t]*$`);
  const out: Instruction[] = [];
  let i = 0;
  while (i < lines.length) {
    const start = i;
    let logical = lines[i] ?? "";
    i += 1;
    if (SKIPPED.test(logical)) continue;
    while (continuation.test(logical)) {
      logical = logical.replace(continuation, "");
      // Comment and empty lines inside a continued instruction are skipped, not joined.
      let next: string | undefined;
      while (i < lines.length && next === undefined) {
        const candidate = lines[i] ?? "";
        i += 1;
        if (!SKIPPED.test(candidate)) next = candidate;
      }
      if (next === undefined) break;
      logical += next;
    }
    const match = /^\s*(\S+)\s*(.*)$/s.exec(logical);
    if (match === null) continue;
    const keyword = (match[1] ?? "").toUpperCase();
    const rest = match[2] ?? "";
    if (HEREDOC_KEYWORDS.has(keyword)) i = skipHeredocBodies(rest, lines, i);
    out.push({ keyword, rest, line: start + 1 });
  }
  return out;
}

/** Returns the index of the first line after every heredoc body the instruction opens. */
function skipHeredocBodies(rest: string, lines: readonly string[], from: number): number {
  let i = from;
  for (const match of rest.matchAll(HEREDOC)) {
    const stripTabs = match[1] === "-";
    const word = match[3] ?? "";
    while (i < lines.length) {
      const body = lines[i] ?? "";
      i += 1;
      if ((stripTabs ? body.replace(/^\t+/, "") : body) === word) break;
    }
  }
  return i;
}
