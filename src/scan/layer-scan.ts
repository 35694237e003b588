import { posix } from "node:path";
import { pipeline } from "node:stream/promises";
import tarStream from "tar-stream";
import { ChunkSearcher } from "./chunk-search.js";
import { decompressors, sniffCompression } from "./decompress.js";
import { startNestedGzip, type NestedGzip } from "./nested-gzip.js";
import type { NeedleTable } from "./needles.js";
import { drain, replay, type Peeked } from "./peek.js";

export type LayerWhere = "file" | "path" | "linkname";

/** A match inside one layer, before the layer's place in an image is known. */
export interface LayerHit {
  readonly tag: number;
  readonly where: LayerWhere;
  readonly path: string;
  readonly container: "gzip" | null;
}

/** What one layer holds, as far as findings and `deleted` need it. Never holds content. */
export interface LayerScan {
  readonly hits: readonly LayerHit[];
  /** every entry path (normalized) → is it a directory */
  readonly entries: ReadonlyMap<string, boolean>;
  /** paths removed by `.wh.NAME` entries */
  readonly whiteouts: ReadonlySet<string>;
  /** directories marked `.wh..wh..opq` ("" is the root) */
  readonly opaque: ReadonlySet<string>;
  readonly files: number;
  readonly bytes: number;
  /** why the layer could not be read as a tar, or null */
  readonly error: string | null;
  /** a nested gzip file was cut at a limit */
  readonly truncatedGzip: boolean;
}

export interface LayerScanContext {
  readonly needles: NeedleTable;
  readonly signal?: AbortSignal | undefined;
}

const OPAQUE = ".wh..wh..opq";
const WHITEOUT = ".wh.";

/** `./a/b/`, `/a/b` and `a/b` are the same path: `a/b`; the root is "". */
export function normalizeEntryPath(name: string): string {
  let n = name;
  for (;;) {
    if (n.startsWith("/")) n = n.slice(1);
    else if (n.startsWith("./")) n = n.slice(2);
    else break;
  }
  while (n.endsWith("/")) n = n.slice(0, -1);
  return n === "." ? "" : n;
}

/** Walks one layer tar (any compression) entry by entry, searching contents, names, link targets and PAX values. */
export async function scanLayer(peeked: Peeked, ctx: LayerScanContext): Promise<LayerScan> {
  const { needles } = ctx;
  const hits: LayerHit[] = [];
  const seen = new Set<string>();
  const entries = new Map<string, boolean>();
  const whiteouts = new Set<string>();
  const opaque = new Set<string>();
  let files = 0;
  let bytes = 0;
  let truncatedGzip = false;
  let error: unknown = null;

  const hit = (tag: number, where: LayerWhere, path: string, container: "gzip" | null): void => {
    const key = `${tag}\0${where}\0${container ?? ""}\0${path}`;
    if (seen.has(key)) return;
    seen.add(key);
    hits.push({ tag, where, path, container });
  };
  const searchText = (text: string, where: LayerWhere, path: string): void => {
    if (text.length < 8) return;
    needles.matcher.scan(Buffer.from(text, "utf8"), (tag) => hit(tag, where, path, null));
  };

  const searcher = new ChunkSearcher(needles.matcher, needles.lengths);
  const compression = sniffCompression(peeked.head);
  const extract = tarStream.extract();
  const feeding = (
    compression === "none"
      ? pipeline(replay(peeked), extract)
      : pipeline(replay(peeked), decompressors[compression](), extract)
  ).then(
    () => undefined,
    (cause: unknown) => {
      error ??= cause;
    },
  );

  try {
    for await (const entry of extract) {
      if (ctx.signal?.aborted) throw ctx.signal.reason;
      const header = entry.header;
      const path = normalizeEntryPath(header.name);
      files += 1;
      if (path !== "") {
        entries.set(path, header.type === "directory");
        const base = posix.basename(path);
        const dir = posix.dirname(path);
        if (base === OPAQUE) opaque.add(dir === "." ? "" : dir);
        else if (base.startsWith(WHITEOUT)) whiteouts.add(posix.join(dir, base.slice(WHITEOUT.length)));
      }
      searchText(header.name, "path", path);
      if (header.linkname) searchText(header.linkname, "linkname", path);
      if (header.pax) for (const value of Object.values(header.pax)) searchText(value, "path", path);

      searcher.reset();
      const onContent = (tag: number): void => hit(tag, "file", path, null);
      let nested: NestedGzip | null = null;
      let first = true;
      for await (const chunk of entry as AsyncIterable<Buffer>) {
        if (first) {
          first = false;
          if (chunk.length >= 2 && chunk[0] === 0x1f && chunk[1] === 0x8b) {
            nested = startNestedGzip(needles, (tag) => hit(tag, "file", path, "gzip"));
          }
        }
        bytes += chunk.length;
        searcher.push(chunk, onContent);
        if (nested) await nested.write(chunk);
      }
      if (nested && (await nested.end())) truncatedGzip = true;
    }
  } catch (cause) {
    if (ctx.signal?.aborted) throw cause;
    error ??= cause;
  }
  await feeding;
  if (ctx.signal?.aborted) throw ctx.signal.reason;
  await drain(peeked);
  return { hits, entries, whiteouts, opaque, files, bytes, error: error === null ? null : describe(error), truncatedGzip };
}

/** tar-stream and zlib messages name formats, never content; keep only the first line anyway. */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : "unreadable";
  return (message.split("\n")[0] ?? "unreadable").slice(0, 200);
}
