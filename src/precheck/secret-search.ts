import { closeSync, constants, openSync, readSync } from "node:fs";
import { buildNeedles, type NeedleTable } from "../scan/findings/needles.js";
import type { ResolvedSecret } from "../secrets/secret.js";

export interface Hit {
  readonly secret: string;
  readonly encoding: string;
}

/** The scan's needles (every encoding it knows) over small byte strings and whole files. */
export interface SecretSearch {
  readonly empty: boolean;
  inBytes(bytes: Buffer): Hit[];
  /** Every match in `bytes` with where it starts and ends: one pass over many names joined. */
  spans(bytes: Buffer, onMatch: (hit: Hit, start: number, end: number) => void): void;
  /**
   * Reads the file through the matcher in 1 MiB reads into one reused buffer. Synchronous on
   * purpose: for a context of many small files the promise round trips cost more than the reads.
   */
  inFile(path: string, size: number): Hit[];
  /** Zeroes the read buffer (it held file contents). */
  wipe(): void;
}

const READ_BYTES = 1 << 20;

/** `table`: the needles compiled for the scan that follows, so a build compiles them once. */
export function secretSearch(secrets: readonly ResolvedSecret[], table: NeedleTable = buildNeedles(secrets)): SecretSearch {
  const buffer = Buffer.allocUnsafe(READ_BYTES);
  return {
    empty: table.variants.length === 0,
    inBytes: (bytes) => inBytes(table, bytes),
    spans: (bytes, onMatch) =>
      table.matcher.scan(bytes, (tag, start, end) => {
        const variant = table.variants[tag];
        if (variant !== undefined) onMatch({ secret: variant.secretId, encoding: variant.encoding }, start, end ?? start + variant.bytes.length);
      }),
    inFile: (path, size) => {
      // A file swapped for a symlink or a FIFO after the walk looked at it is not followed or waited on.
      const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      try {
        if (size < READ_BYTES) {
          const length = readSync(fd, buffer, 0, READ_BYTES, null);
          return inBytes(table, buffer.subarray(0, length));
        }
        const hits = new Map<string, Hit>();
        const search = table.streamSearch();
        for (;;) {
          const length = readSync(fd, buffer, 0, READ_BYTES, null);
          if (length === 0) break;
          search.push(buffer.subarray(0, length), (tag) => add(hits, table, tag));
        }
        search.end((tag) => add(hits, table, tag));
        return [...hits.values()];
      } finally {
        closeSync(fd);
      }
    },
    wipe: () => buffer.fill(0),
  };
}

function inBytes(table: NeedleTable, bytes: Buffer): Hit[] {
  const hits = new Map<string, Hit>();
  table.matcher.scan(bytes, (tag) => add(hits, table, tag));
  return [...hits.values()];
}

function add(hits: Map<string, Hit>, table: NeedleTable, tag: number): void {
  const variant = table.variants[tag];
  if (variant === undefined) return;
  const key = `${variant.secretId}\0${variant.encoding}`;
  if (!hits.has(key)) hits.set(key, { secret: variant.secretId, encoding: variant.encoding });
}
