import { posix } from "node:path";

/**
 * Provenance of installed Python packages: a wheel installed anywhere (`pip install -t
 * /var/task` for AWS Lambda, `pip --target app/deps`) leaves `NAME-VER.dist-info/RECORD`, a CSV
 * whose first column is every file it installed, relative to the folder holding the dist-info
 * (PEP 376, PEP 627). The walk keeps those paths; the built-in rules' findings in them are
 * dropped once every layer is read (assemble.ts), wherever the RECORD came in the image.
 */
const RECORD = /(?:^|\/)[^/]+\.dist-info\/RECORD$/;

/** One RECORD this large is not pip's (botocore's, among the largest, is about 0.4 MiB). */
export const MAX_RECORD_FILE_BYTES = 8 * 1024 * 1024;
/** RECORD bytes kept per scan: past this, packages are judged by path alone (false alarms, never misses). */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

export const isInstalledRecord = (path: string): boolean => RECORD.test(path);

/** The scan's allowance for RECORD contents, shared by its layers. */
export class RecordBudget {
  #left: number;
  constructor(bytes = MAX_RECORD_BYTES) {
    this.#left = bytes;
  }

  /** Takes `bytes` of the allowance; false (and nothing taken) when they do not fit. */
  take(bytes: number): boolean {
    if (bytes > this.#left) return false;
    this.#left -= bytes;
    return true;
  }
}

/** The image paths a RECORD at `recordPath` lists (normalized as entry paths are); none that leave the image root. */
export function installedPaths(recordPath: string, text: Buffer): string[] {
  const base = posix.dirname(posix.dirname(recordPath));
  const out: string[] = [];
  for (const line of text.toString("utf8").split(/\r?\n/)) {
    const field = firstField(line);
    if (field === "" || field.startsWith("/")) continue;
    const path = posix.normalize(base === "." ? field : `${base}/${field}`);
    if (path === ".." || path.startsWith("../")) continue;
    out.push(path);
  }
  return out;
}

/** A CSV line's first field: quoted (`"a,b.py"`, `""` for a quote) or up to the first comma. */
function firstField(line: string): string {
  if (!line.startsWith('"')) {
    const comma = line.indexOf(",");
    return comma === -1 ? line : line.slice(0, comma);
  }
  let out = "";
  for (let at = 1; at < line.length; at++) {
    if (line[at] !== '"') out += line[at];
    else if (line[at + 1] === '"') {
      out += '"';
      at++;
    }
    else return out;
  }
  return "";
}

/** Gathers one RECORD entry's bytes within the scan's budget; `end` gives its paths, or none when it did not fit. */
export class RecordGatherer {
  readonly #chunks: Buffer[] = [];
  #bytes = 0;
  #over = false;
  readonly #path: string;
  readonly #budget: RecordBudget;
  constructor(path: string, budget: RecordBudget) {
    this.#path = path;
    this.#budget = budget;
  }

  push(chunk: Buffer): void {
    if (this.#over) return;
    if (this.#bytes + chunk.length > MAX_RECORD_FILE_BYTES || !this.#budget.take(chunk.length)) {
      this.#over = true;
      this.#chunks.length = 0;
      return;
    }
    this.#bytes += chunk.length;
    // the walk's chunk is reused once the sink returns
    this.#chunks.push(Buffer.from(chunk));
  }

  end(): string[] {
    return this.#over ? [] : installedPaths(this.#path, Buffer.concat(this.#chunks));
  }
}
