import { open, readFile } from "node:fs/promises";
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
  /** A small file is read whole; a larger one streams through the matcher in 1 MiB reads. */
  inFile(path: string, size: number): Promise<Hit[]>;
}

const READ_BYTES = 1 << 20;

export function secretSearch(secrets: readonly ResolvedSecret[]): SecretSearch {
  const table = buildNeedles(secrets);
  return {
    empty: table.variants.length === 0,
    inBytes: (bytes) => inBytes(table, bytes),
    inFile: async (path, size) => {
      if (size <= READ_BYTES) {
        const bytes = await readFile(path);
        try {
          return inBytes(table, bytes);
        } finally {
          bytes.fill(0);
        }
      }
      const hits = new Map<string, Hit>();
      const buffer = Buffer.allocUnsafe(READ_BYTES);
      const search = table.streamSearch();
      const file = await open(path, "r");
      try {
        for (;;) {
          const { bytesRead } = await file.read(buffer, 0, READ_BYTES, null);
          if (bytesRead === 0) break;
          search.push(buffer.subarray(0, bytesRead), (tag) => add(hits, table, tag));
        }
        search.end((tag) => add(hits, table, tag));
      } finally {
        await file.close();
        buffer.fill(0);
      }
      return [...hits.values()];
    },
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
