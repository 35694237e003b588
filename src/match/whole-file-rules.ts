import { decodedRuns } from "./base64-runs.js";
import type { WindowRule } from "./keyword-windows.js";

/** A credential file is small; a bigger file of that name is left to the keyword rules. */
export const WHOLE_FILE_BYTES = 1024 * 1024;

/** Files whose base64 values the base64-file rules decode: where Kubernetes Secrets, Docker configs and Helm values live. */
const BASE64_FILES = /\.(?:ya?ml|json)$/;

/** The rules to run on one whole file: on its bytes, and on its base64 runs decoded (indexes into the rule list). */
export interface WholeFileTasks {
  readonly rules: readonly number[];
  readonly decoded: readonly number[];
}

/**
 * The rules run on whole files of their own names (RuleSpec.wholeFile: `.npmrc`, `.netrc`),
 * not near keywords: their common words (`machine`, `_auth`) would cost every other file of an
 * image a keyword check (+16 % of the bench's CPU, measured), their files are a few per image.
 */
export class WholeFileRules {
  readonly #any: boolean;
  /** rules by the exact file name they take, by a prefix or suffix of it, and those that take any name */
  readonly #byName = new Map<string, WholeFileRule[]>();
  readonly #byPrefix: { readonly prefix: string; readonly rule: WholeFileRule }[] = [];
  readonly #bySuffix: { readonly suffix: string; readonly rule: WholeFileRule }[] = [];
  readonly #anyName: WholeFileRule[] = [];
  readonly #decoded: number[] = [];

  constructor(rules: readonly WindowRule[]) {
    rules.forEach((rule, i) => {
      if (rule.base64Files === true) this.#decoded.push(i);
      if (rule.wholeFile === undefined) return;
      const entry = { rule: i, test: rule.wholeFile };
      if (rule.fileNames === undefined) return void this.#anyName.push(entry);
      for (const name of rule.fileNames) {
        if (name.endsWith("*")) this.#byPrefix.push({ prefix: name.slice(0, -1), rule: entry });
        else if (name.startsWith("*")) this.#bySuffix.push({ suffix: name.slice(1), rule: entry });
        else this.#byName.set(name, [...(this.#byName.get(name) ?? []), entry]);
      }
    });
    this.#any = this.#byName.size > 0 || this.#byPrefix.length > 0 || this.#bySuffix.length > 0 || this.#anyName.length > 0 || this.#decoded.length > 0;
  }

  /** The rules that run on the file at `path`, or null: most files. `size` null: not known yet. */
  at(path: string, size: number | null): WholeFileTasks | null {
    if (!this.#any || (size !== null && (size > WHOLE_FILE_BYTES || size === 0))) return null;
    const name = path.slice(path.lastIndexOf("/") + 1);
    let named: number[] | null = null;
    for (const w of this.#byName.get(name) ?? []) named = admit(w, path, named);
    for (const { prefix, rule } of this.#byPrefix) if (name.startsWith(prefix)) named = admit(rule, path, named);
    for (const { suffix, rule } of this.#bySuffix) if (name.endsWith(suffix)) named = admit(rule, path, named);
    for (const w of this.#anyName) named = admit(w, path, named);
    const decoded = this.#decoded.length > 0 && BASE64_FILES.test(name) ? this.#decoded : [];
    return named === null && decoded.length === 0 ? null : { rules: named ?? [], decoded };
  }
}

/** `named` with the rule added when its paths take `path` (once). */
function admit(w: WholeFileRule, path: string, named: number[] | null): number[] | null {
  if (!w.test(path) || named?.includes(w.rule) === true) return named;
  return named === null ? [w.rule] : [...named, w.rule];
}

interface WholeFileRule {
  readonly rule: number;
  readonly test: (path: string) => boolean;
}

/** Where a whole-file rule's secrets go: the rule's index, the secret (borrowed), its offset in the file. */
export type WholeFileFound = (rule: number, secret: Buffer, offset: number) => void;

/**
 * Runs the tasks' rules (indexes into `all`) on a whole file when `take` grants its bytes: on
 * the file, on each base64 run decoded (its offset is about character 4i/3 of the run), and on
 * the file with its escaped slashes unescaped.
 */
export function runWholeFile(tasks: WholeFileTasks, all: readonly WindowRule[], content: Buffer, take: (bytes: number) => boolean, found: WholeFileFound): void {
  if (tasks.rules.length > 0 && take(content.length)) {
    for (const rule of tasks.rules) all[rule]!.find(content, (start, end) => found(rule, content.subarray(start, end), start));
  }
  if (tasks.decoded.length === 0) return;
  const runs = decodedRuns(content);
  // what the rules examine is what the runs decode to: a JSON file without base64 values costs nothing
  const decoded = runs.reduce((sum, run) => sum + run.text.length, 0);
  if (decoded > 0 && take(decoded)) {
    for (const run of runs) {
      for (const rule of tasks.decoded) all[rule]!.find(run.text, (start, end) => found(rule, run.text.subarray(start, end), run.from + Math.floor((4 * start) / 3)));
    }
  }
  for (const run of runs) run.text.fill(0);
  unescapedSlashes(tasks.decoded, all, content, take, found);
}

const ESCAPED_SCHEME = Buffer.from(":\\/\\/");

/**
 * JSON whose slashes are escaped (PHP's json_encode: `https:\/\/hooks.slack.com\/services\/…`,
 * `postgres:\/\/user:pw@db`): the rules run on it unescaped too; a finding's offset is where its
 * unescaped text starts, less the escapes before it.
 */
function unescapedSlashes(rules: readonly number[], all: readonly WindowRule[], content: Buffer, take: (bytes: number) => boolean, found: WholeFileFound): void {
  // only a URL's escaped `://` matters, and only to the rules whose keywords hold a slash
  const slashed = rules.filter((rule) => all[rule]!.keywords.some((k) => k.includes(0x2f)));
  if (slashed.length === 0 || content.indexOf(ESCAPED_SCHEME) === -1 || !take(content.length)) return;
  const text = Buffer.from(content.toString("latin1").replaceAll("\\/", "/"), "latin1");
  for (const rule of slashed) {
    // what the escapes hid: a secret the file's own bytes give this rule too was found there
    const plain = new Set<string>();
    all[rule]!.find(content, (start, end) => void plain.add(content.toString("latin1", start, end)));
    all[rule]!.find(text, (start, end) => {
      if (!plain.has(text.toString("latin1", start, end))) found(rule, text.subarray(start, end), start);
    });
  }
  text.fill(0);
}

/** One file's bytes gathered (copies: chunks are borrowed) for its whole-file rules, run at its end. */
export class WholeFileGatherer {
  readonly #parts: Buffer[] = [];
  #bytes = 0;

  constructor(
    readonly tasks: WholeFileTasks,
    readonly all: readonly WindowRule[],
  ) {}

  push(chunk: Buffer): void {
    this.#bytes += chunk.length;
    // a file whose size was not known ahead (a member read as it streams): past the cap, not gathered
    if (this.#bytes <= WHOLE_FILE_BYTES) this.#parts.push(Buffer.from(chunk));
  }

  /** Runs the rules on the whole file when `take` grants its bytes; `found` gets each secret (offsets into the file). */
  end(take: (bytes: number) => boolean, found: WholeFileFound): void {
    const content = Buffer.concat(this.#parts);
    this.#parts.length = 0;
    if (this.#bytes <= WHOLE_FILE_BYTES) runWholeFile(this.tasks, this.all, content, take, found);
    content.fill(0);
  }
}
