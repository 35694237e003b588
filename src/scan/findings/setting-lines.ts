/**
 * The image's settings as `NAME=value` lines, for the rules that judge a value by its name
 * (RuleSpec.settings): a password in `ENV`, a token passed as a build argument. BuildKit and the
 * classic builder record build arguments in front of each RUN of the history (`|2 A=1 B=2 …`),
 * `ENV`/`ARG` instructions as written (an `ENV` later overwritten is gone from `Env`, not from
 * the history), and the provenance records every `--build-arg`.
 */

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/** A `NAME=` that starts another assignment (where a value written with blanks ends). */
const NEXT_ASSIGNMENT = / (?=[A-Za-z_][A-Za-z0-9_]*=)/;
const MAX_LINES = 256;

/** A value without the quotes around it (`"a b"`, `'x'`), as a shell or a Dockerfile writes one. */
export const unquoted = (value: string): string => (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0]) ? value.slice(1, -1) : value);

/** One `Env` entry (`NAME=value`), or a label's name and value: one line, or none. */
export function assignmentLine(name: string, value: string): string | null {
  return NAME.test(name) && value.length > 0 && !value.includes("\n") ? `${name}=${value}` : null;
}

/** `Env[i]` as it is stored: `NAME=value`. */
export function envLine(entry: string): string | null {
  const at = entry.indexOf("=");
  return at <= 0 ? null : assignmentLine(entry.slice(0, at), entry.slice(at + 1));
}

/** A provenance parameter `build-arg:NAME` and its value. */
export function buildArgLine(key: string, value: string): string | null {
  return key.startsWith("build-arg:") ? assignmentLine(key.slice("build-arg:".length), value) : null;
}

/**
 * The assignments a history entry's `created_by` records: `RUN |N A=1 B=2 /bin/sh -c CMD`
 * (BuildKit; the classic builder without `RUN `), `ENV A=1`, `ARG A=1` (also after the classic
 * builder's `/bin/sh -c #(nop) `), and the assignments at a command's start in a shell-form RUN
 * (`NPM_TOKEN=… npm ci`, `export DB_PASSWORD=…`).
 */
export function historyLines(createdBy: string): string | null {
  let text = createdBy.replace(/ # buildkit$/, "");
  if (text.startsWith("RUN ")) text = text.slice(4);
  const lines: string[] = [];
  const nop = /^\/bin\/sh -c #\(nop\)\s+/.exec(text);
  if (nop !== null) text = text.slice(nop[0].length);
  const instruction = /^(?:ENV|ARG)\s+/.exec(text);
  if (instruction !== null) {
    lines.push(...spacedAssignments(text.slice(instruction[0].length)));
    return joined(lines);
  }
  const args = /^\|([0-9]{1,4}) /.exec(text);
  if (args !== null) {
    const count = Number(args[1]);
    const { assignments, rest } = leadingArgs(text.slice(args[0].length), count);
    lines.push(...assignments);
    text = rest;
  }
  const shell = /^(?:\/bin\/)?(?:sh|bash|ash|dash) -c /.exec(text);
  if (shell !== null) lines.push(...commandAssignments(text.slice(shell[0].length)));
  return joined(lines);
}

function joined(lines: readonly string[]): string | null {
  return lines.length === 0 ? null : lines.slice(0, MAX_LINES).join("\n");
}

/** `A=1 B=two words C=3`: values run to the next ` NAME=` (the builders write values unquoted). */
function spacedAssignments(text: string): string[] {
  return text
    .split(NEXT_ASSIGNMENT)
    .map((part) => envLine(part.trim()))
    .filter((line): line is string => line !== null);
}

/** The `count` build arguments before the command: each value runs to the next ` NAME=`, the last to the first blank. */
function leadingArgs(text: string, count: number): { assignments: string[]; rest: string } {
  const assignments: string[] = [];
  let rest = text;
  for (let i = 0; i < count && rest.length > 0; i++) {
    const last = i === count - 1;
    const stop = last ? rest.indexOf(" ") : rest.search(NEXT_ASSIGNMENT);
    const part = stop === -1 ? rest : rest.slice(0, stop);
    const line = envLine(part);
    if (line !== null) assignments.push(line);
    rest = stop === -1 ? "" : rest.slice(stop + 1);
  }
  return { assignments, rest };
}

/** Assignments at the start of each simple command of a shell script (after `export`, `env`, `declare -x`). */
function commandAssignments(script: string): string[] {
  const lines: string[] = [];
  for (const command of script.split(/&&|\|\||[;|\n]/)) {
    let rest = command.trimStart().replace(/^(?:export|env|declare -x|readonly)\s+/, "");
    for (;;) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|[^\s"';&|]*)/.exec(rest);
      if (m === null) break;
      const line = assignmentLine(m[1]!, unquoted(m[2]!));
      if (line !== null) lines.push(line);
      rest = rest.slice(m[0].length).trimStart();
    }
  }
  return lines;
}
