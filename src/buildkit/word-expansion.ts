/**
 * The part of BuildKit's shell lexer (frontend/dockerfile/shell/lex.go) that mount values, ARG and
 * ENV go through: quotes, the escape character, `$NAME`, `${NAME}` and the `-`, `+`, `?` modifiers
 * with or without `:`. Variables are what the Dockerfile declares; one it does not (the base
 * image's ENV, say) makes the word unknowable before the build: `undefined`.
 */

/** Name → value; `null` is an ARG declared with no value and no build argument (unset, as BuildKit has it). */
export type Scope = ReadonlyMap<string, string | null>;

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

class Unknown extends Error {}

export function expandWord(word: string, scope: Scope, escape = "\\"): string | undefined {
  try {
    return new Lexer(word, scope, escape).process(undefined);
  } catch (error) {
    if (error instanceof Unknown) return undefined;
    throw error;
  }
}

class Lexer {
  #pos = 0;
  constructor(
    private readonly text: string,
    private readonly scope: Scope,
    private readonly escape: string,
  ) {}

  /** Reads up to `stop` (a `}` ending a modifier's word) or the end. */
  process(stop: string | undefined): string {
    let out = "";
    while (this.#pos < this.text.length) {
      const ch = this.text[this.#pos] ?? "";
      if (ch === stop) return out;
      this.#pos += 1;
      if (ch === "'") out += this.#until("'");
      else if (ch === '"') out += this.#doubleQuoted();
      else if (ch === "$") out += this.#dollar();
      else if (ch === this.escape && this.#pos < this.text.length) out += this.text[this.#pos++] ?? "";
      else out += ch;
    }
    return out;
  }

  #until(end: string): string {
    const close = this.text.indexOf(end, this.#pos);
    const stop = close === -1 ? this.text.length : close;
    const out = this.text.slice(this.#pos, stop);
    this.#pos = stop + 1;
    return out;
  }

  #doubleQuoted(): string {
    let out = "";
    while (this.#pos < this.text.length) {
      const ch = this.text[this.#pos++] ?? "";
      if (ch === '"') return out;
      if (ch === "$") out += this.#dollar();
      else if (ch === this.escape && ['"', "$", this.escape].includes(this.text[this.#pos] ?? "")) out += this.text[this.#pos++] ?? "";
      else out += ch;
    }
    return out;
  }

  #dollar(): string {
    const next = this.text[this.#pos] ?? "";
    if (next !== "{") {
      const name = this.#name();
      return name === "" ? "$" : this.#value(name);
    }
    this.#pos += 1;
    const name = this.#name();
    if (this.text[this.#pos] === "}") {
      this.#pos += 1;
      return this.#value(name);
    }
    const colon = this.text[this.#pos] === ":";
    if (colon) this.#pos += 1;
    const op = this.text[this.#pos] ?? "";
    this.#pos += 1;
    const word = this.process("}");
    this.#pos += 1;
    // Anything else (`#`, `%`, `/`): BuildKit's pattern forms, not worth guessing here.
    if (!["-", "+", "?"].includes(op)) throw new Unknown();
    if (!this.scope.has(name)) throw new Unknown();
    const value = this.scope.get(name) ?? null;
    const set = colon ? value !== null && value !== "" : value !== null;
    if (op === "-") return set ? (value ?? "") : word;
    if (op === "+") return set ? word : "";
    if (!set) throw new Unknown();
    return value ?? "";
  }

  #name(): string {
    const start = this.#pos;
    if (!NAME_START.test(this.text[this.#pos] ?? "")) return "";
    while (NAME_CHAR.test(this.text[this.#pos] ?? "")) this.#pos += 1;
    return this.text.slice(start, this.#pos);
  }

  #value(name: string): string {
    if (!this.scope.has(name)) throw new Unknown();
    return this.scope.get(name) ?? "";
  }
}
