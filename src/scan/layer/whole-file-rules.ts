import type { WindowRule } from "../../match/keyword-windows.js";

/** A credential file is small; a bigger file of that name is left to the keyword rules. */
export const WHOLE_FILE_BYTES = 1024 * 1024;

/**
 * The rules run on whole files of their own names (RuleSpec.wholeFile: `.npmrc`, `.netrc`),
 * not near keywords: their common words (`machine`, `_auth`) would cost every other file of an
 * image a keyword check (+16 % of the bench's CPU, measured), their files are a few per image.
 */
export class WholeFileRules {
  readonly #rules: readonly { readonly rule: number; readonly test: (path: string) => boolean }[];

  constructor(rules: readonly WindowRule[]) {
    this.#rules = rules.flatMap((rule, i) => (rule.wholeFile === undefined ? [] : [{ rule: i, test: rule.wholeFile }]));
  }

  /** The rules that run on the file at `path` (indexes into the rule list), or null: most files. */
  at(path: string, size: number): number[] | null {
    if (this.#rules.length === 0 || size > WHOLE_FILE_BYTES || size === 0) return null;
    const named = this.#rules.filter((w) => w.test(path)).map((w) => w.rule);
    return named.length === 0 ? null : named;
  }
}

/** One file's bytes gathered (copies: chunks are borrowed) for its whole-file rules, run at its end. */
export class WholeFileGatherer {
  readonly #parts: Buffer[] = [];

  constructor(
    readonly rules: readonly number[],
    readonly all: readonly WindowRule[],
  ) {}

  push(chunk: Buffer): void {
    this.#parts.push(Buffer.from(chunk));
  }

  /** Runs the rules on the whole file when `take` grants its bytes; `found` gets each secret (offsets into the file). */
  end(take: (bytes: number) => boolean, found: (rule: number, secret: Buffer, offset: number) => void): void {
    const content = Buffer.concat(this.#parts);
    this.#parts.length = 0;
    if (take(content.length)) for (const rule of this.rules) this.all[rule]!.find(content, (start, end) => found(rule, content.subarray(start, end), start));
    content.fill(0);
  }
}
