import type { SubValue } from "../sub-value.js";

export type FormatName =
  | "npmrc"
  | "yarnrc"
  | "aws"
  | "pypirc"
  | "ini"
  | "dotenv"
  | "json"
  | "gcp-service-account"
  | "docker-config"
  | "kubeconfig"
  | "yaml"
  | "netrc"
  | "pgpass"
  | "git-credentials"
  | "pem"
  | "openvpn"
  | "xml"
  | "maven-settings"
  | "nuget-config";

/** A part of the secret named by key or block and its lines (1-based), never by its bytes. */
export interface PlanPart {
  readonly label: string;
  readonly lines: readonly number[];
}

export interface Exclusion extends PlanPart {
  readonly reason: string;
}

/**
 * What the scan searches of a recognised structured secret besides the whole value and its
 * encodings: the credentials (and forms derived from them) and the lines that hold one.
 * Everything else is listed in `excluded` with the reason.
 */
export interface StructuredPlan {
  readonly format: FormatName;
  /** Fresh buffers the caller owns and wipes. */
  readonly subValues: readonly SubValue[];
  /** Slices of the value: the lines holding a credential. */
  readonly lines: readonly Buffer[];
  readonly credentials: readonly PlanPart[];
  /** The private keys whose numbers are searched: `RSA d, p, q, dp, dq, qi` and the key's lines. */
  readonly keyMaterial: readonly PlanPart[];
  readonly excluded: readonly Exclusion[];
}

interface Line {
  readonly start: number;
  readonly end: number;
}

/** Line boundaries of a value, `\r\n` or `\n`, the `\r` left out. */
export class LineIndex {
  readonly lines: Line[] = [];

  constructor(readonly value: Buffer) {
    let from = 0;
    for (;;) {
      const nl = value.indexOf(0x0a, from);
      const end = nl === -1 ? value.length : nl;
      this.lines.push({ start: from, end: end > from && value[end - 1] === 0x0d ? end - 1 : end });
      if (nl === -1) break;
      from = nl + 1;
    }
  }

  /** 1-based number of the line holding byte `offset`. */
  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.lines.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.lines[mid]?.start ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  bytes(line: number): Buffer {
    const l = this.lines[line - 1];
    return l === undefined ? Buffer.alloc(0) : this.value.subarray(l.start, l.end);
  }

  text(line: number): string {
    return this.bytes(line).toString("latin1");
  }

  /** Lines holding an occurrence of `needle` (at most a few: a value is 500 KiB at most). */
  linesHolding(needle: Buffer): number[] {
    const out = new Set<number>();
    if (needle.length === 0) return [];
    for (let at = this.value.indexOf(needle); at !== -1 && out.size < 64; at = this.value.indexOf(needle, at + 1)) {
      const first = this.lineOf(at);
      const last = this.lineOf(at + needle.length - 1);
      for (let n = first; n <= last; n++) out.add(n);
    }
    return [...out];
  }
}

/** Collects a plan; formats call `credential` and `exclude`, then `done`. */
export class PlanBuilder {
  readonly index: LineIndex;
  readonly #subValues: SubValue[] = [];
  readonly #credentials: PlanPart[] = [];
  readonly #keyMaterial: PlanPart[] = [];
  readonly #excluded: Exclusion[] = [];
  readonly #lines = new Set<number>();
  readonly #withheld = new Set<number>();

  constructor(value: Buffer) {
    this.index = new LineIndex(value);
  }

  /**
   * A credential under `label`: each form in `forms` (latin1 strings are slices of the value,
   * utf8 ones decoded from it) becomes a needle; `lines` (default: where the first form occurs)
   * are searched whole.
   */
  credential(label: string, forms: readonly { text: string; encoding: BufferEncoding }[], lines?: readonly number[]): void {
    const first = forms[0];
    const where = lines ?? (first === undefined ? [] : this.index.linesHolding(Buffer.from(first.text, first.encoding)));
    for (const form of forms) if (form.text.length > 0) this.#subValues.push({ encoding: "field", bytes: Buffer.from(form.text, form.encoding) });
    for (const n of where) this.#lines.add(n);
    this.#credentials.push({ label, lines: where });
  }

  /** A needle derived from a credential already recorded (a PEM body, DER bytes). */
  derived(sub: SubValue): void {
    this.#subValues.push(sub);
  }

  /** The private numbers of a key recorded as a credential (its lines), named by `label`. */
  keyMaterial(label: string, subValues: readonly SubValue[], lines: readonly number[]): void {
    this.#subValues.push(...subValues);
    this.#keyMaterial.push({ label, lines });
  }

  /** Marks lines as searched without a new credential (the body lines of a private key). */
  searchLines(lines: readonly number[]): void {
    for (const n of lines) this.#lines.add(n);
  }

  /** Lines with these texts (indentation aside) are not searched, whatever marked them: listed under `label`. */
  withhold(label: string, reason: string, texts: readonly string[]): void {
    if (texts.length === 0) return;
    const wanted = new Set(texts);
    const lines = this.index.lines.map((_, i) => i + 1).filter((n) => wanted.has(this.index.text(n).trim()));
    for (const n of lines) this.#withheld.add(n);
    if (lines.length > 0) this.exclude(label, reason, lines);
  }

  exclude(label: string, reason: string, lines: readonly number[] = []): void {
    this.#excluded.push({ label, reason, lines });
  }

  get credentialCount(): number {
    return this.#credentials.length;
  }

  done(format: FormatName): StructuredPlan {
    const lines = [...this.#lines]
      .filter((n) => !this.#withheld.has(n))
      .sort((a, b) => a - b)
      .map((n) => this.index.bytes(n));
    return { format, subValues: this.#subValues, lines, credentials: this.#credentials, keyMaterial: this.#keyMaterial, excluded: this.#excluded };
  }
}
