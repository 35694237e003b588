import { createHash, type Hash } from "node:crypto";
import { posix } from "node:path";
import { Backlog, type ByteSink } from "../../bytes/backlog.js";
import { decompressingSink } from "./decompressing-sink.js";
import { sniffCompression } from "./compression.js";
import { sniffingSink } from "../../bytes/sniff-sink.js";
import { InflatedMemo } from "../content/inflated-memo.js";
import { ReusedInflater } from "../content/reused-inflater.js";
import type { StreamSearcher } from "../../match/stream-search.js";
import { GATHERED_GZIP_BYTES, INFLATE_QUEUE_BYTES, InflateQueue, SMALL_GZIP_BYTES, startNestedGzip, type NestedGzip } from "../content/nested-gzip.js";
import type { NeedleTable } from "../findings/needles.js";
import { TarWalker, type EntrySink, type TarHeader } from "./tar-walker.js";
import type { ContentReport, ContentSink } from "../content/content-report.js";
import { HEAD_BYTES, sniffFormat, type ContentFormat } from "../content/format.js";
import { ContentBudget } from "../content/limits.js";
import { openContent } from "../content/scan-content.js";
import { EntryBudget } from "./entry-budget.js";
import { PathIndexBuilder, type PathIndex } from "./path-index.js";

export type LayerWhere = "file" | "path" | "linkname";

/** A match inside one layer, before the layer's place in an image is known. */
export interface LayerHit {
  readonly tag: number;
  readonly where: LayerWhere;
  /** the layer entry's path */
  readonly path: string;
  /** the chain below the entry, `!/` before each member ("" for the entry's own bytes) */
  readonly inner: string;
  /** the format whose decoded bytes held the match, null for the entry's own bytes */
  readonly container: ContentFormat | null;
  /** the entry's position in the layer (1-based); the last one when several entries had it */
  readonly entry: number;
}

/** What one layer holds, as far as findings and `deleted` need it. Never holds content. */
export interface LayerScan {
  readonly hits: readonly LayerHit[];
  /**
   * Every entry path (normalized): its last entry (a tar written twice at a path keeps the
   * last) and whether that is a directory; paths removed by `.wh.NAME` entries; directories
   * marked `.wh..wh..opq` ("" is the root). Hashed: see path-index.ts.
   */
  readonly paths: PathIndex;
  readonly files: number;
  readonly bytes: number;
  /** why the layer could not be read as a tar, or null */
  readonly error: string | null;
  /** sha256 of the layer's bytes as stored (an OCI blob digest) */
  readonly digest: string;
  /** sha256 of the uncompressed tar (the config's diff_id); `digest` when the layer is not compressed */
  readonly diffId: string;
  /** content inside a file that was not read in full: the entry path with its chain, and the limit or error */
  readonly notSearched: readonly NotSearchedInLayer[];
}

export interface NotSearchedInLayer {
  readonly path: string;
  readonly reason: string;
}

export interface LayerScanContext {
  readonly needles: NeedleTable;
  readonly signal?: AbortSignal | undefined;
  /** shared by the layers of one scan, so its bound holds for the scan; else one per layer */
  readonly inflating?: InflateQueue | undefined;
  /** shared by the layers of one scan, so a gzip file in two layers inflates once; else one per layer */
  readonly inflated?: InflatedMemo | undefined;
  /** shared by the layers of one scan (it opens a handle per inflation open at once); else one per layer */
  readonly inflater?: ReusedInflater | undefined;
  /** shared by the layers of one scan, so the content stage's limits hold for the scan; else one per layer */
  readonly budget?: ContentBudget | undefined;
  /** shared by the layers of one scan: zip entries inflate on one reused raw handle; else one per layer */
  readonly deflate?: ReusedInflater | undefined;
  /** shared by the layers of one scan, so its entry limit holds for the scan; else one per layer */
  readonly entries?: EntryBudget | undefined;
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

/** Sniffing a layer needs the first 4 bytes (zstd's magic). */
const MAGIC_BYTES = 4;

/** One layer being scanned as its bytes are pushed; `finish` once its backlog has settled. */
export interface LayerScanner {
  readonly sink: ByteSink;
  /** Resolves once the layer's gzip files have inflated (they may outlast the walk). */
  finish(): Promise<LayerScan>;
}

/**
 * Walks one layer tar (any compression, sniffed from its first bytes) entry by entry as its
 * bytes are pushed, searching contents, names, link targets and PAX values. Never throws on bad
 * input: an unreadable layer is a LayerScan with `error` set, so the archive around it can still
 * be read. Async work (decompression) goes into `backlog`; the caller settles it before `finish`.
 */
export function startLayerScan(ctx: LayerScanContext, backlog: Backlog): LayerScanner {
  const { needles } = ctx;
  const hits: LayerHit[] = [];
  const seen = new Map<string, number>();
  const paths = new PathIndexBuilder();
  const entryBudget = ctx.entries ?? new EntryBudget();
  let files = 0;
  let bytes = 0;
  const notSearched: NotSearchedInLayer[] = [];
  const notSearchedSeen = new Set<string>();
  const skipped = (path: string, reason: string): void => {
    const key = `${path}\0${reason}`;
    if (notSearchedSeen.has(key)) return;
    notSearchedSeen.add(key);
    notSearched.push({ path, reason });
  };
  let error: unknown = null;
  // the gzip file being walked, if any, and every gzip file's inflating (it may outlast the walk)
  let openGzip: NestedGzip | null = null;
  const inflations = new Backlog();
  // a walk that stops inside a gzip file (cut or corrupt layer) ends its stream: what inflated
  // is scanned, and nothing waits for bytes that will never come
  const endOpenGzip = (): void => {
    const open = openGzip;
    openGzip = null;
    open?.end();
  };
  const fail = (cause: unknown): void => {
    error ??= cause;
    endOpenGzip();
  };

  const hit = (tag: number, where: LayerWhere, path: string, container: ContentFormat | null, entry: number, inner = ""): void => {
    const key = `${tag}\0${where}\0${container ?? ""}\0${path}\0${inner}`;
    const at = seen.get(key);
    if (at === undefined) {
      seen.set(key, hits.length);
      hits.push({ tag, where, path, inner, container, entry });
    } else if (hits[at]!.entry < entry) {
      hits[at] = { ...hits[at]!, entry };
    }
  };
  const searchText = (text: string, where: LayerWhere, path: string, entry: number): void => {
    const bytes = Buffer.from(text, "utf8");
    if (bytes.length < 8) return;
    needles.matcher.scan(bytes, (tag) => hit(tag, where, path, null, entry));
  };
  const searcher = needles.streamSearch();
  // with nothing to find, inflating nested gzip files is wasted work
  const searchesContent = needles.searchesContent;
  const inflating = ctx.inflating ?? new InflateQueue(INFLATE_QUEUE_BYTES);
  const memo = ctx.inflated ?? new InflatedMemo();
  const inflater = ctx.inflater ?? new ReusedInflater();
  const budget = ctx.budget ?? new ContentBudget();
  const deflate = ctx.deflate ?? new ReusedInflater("raw");
  let wholeSearch: StreamSearcher | undefined;
  // where this layer gathers its gzip files, one after another: grown by doubling, never freed
  let gathering: Buffer | undefined;
  const gather = (size: number): Buffer => {
    if (gathering === undefined || gathering.length < size) {
      gathering = Buffer.allocUnsafeSlow(Math.min(GATHERED_GZIP_BYTES, Math.max(size, SMALL_GZIP_BYTES, 2 * (gathering?.length ?? 0))));
    }
    return gathering;
  };

  const onEntry = (header: TarHeader): EntrySink | null => {
    files += 1;
    const over = entryBudget.take(files);
    if (over !== null) {
      fail(new Error(over));
      return null;
    }
    const path = normalizeEntryPath(header.name);
    const entry = files;
    if (path !== "") {
      paths.add(path, "entry", entry, header.type === "directory");
      if (path.startsWith(WHITEOUT, path.lastIndexOf("/") + 1)) {
        const base = posix.basename(path);
        const dir = posix.dirname(path);
        if (base === OPAQUE) paths.add(dir === "." ? "" : dir, "opaque", entry, true);
        else paths.add(posix.join(dir, base.slice(WHITEOUT.length)), "whiteout", entry, false);
      }
    }
    searchText(header.name, "path", path, entry);
    if (header.linkname) searchText(header.linkname, "linkname", path, entry);
    if (header.uname) searchText(header.uname, "path", path, entry);
    if (header.gname) searchText(header.gname, "path", path, entry);
    // `path` and `linkpath` are already in name and linkname; the other records (xattrs,
    // comments, user names) are header data of this entry too.
    if (header.pax) for (const [key, value] of header.pax) if (key !== "path" && key !== "linkpath") searchText(value, "path", path, entry);

    searcher.reset();
    const onContent = (tag: number): void => hit(tag, "file", path, null, entry);
    const report: ContentReport = {
      hit: (tag, inner, container) => hit(tag, "file", path, container, entry, inner),
      notSearched: (inner, reason) => skipped(path + inner, reason),
    };
    // a gzip file stays on its tuned path (nested-gzip.ts); any other format goes to the content stage
    let nested: NestedGzip | null = null;
    let content: ContentSink | null = null;
    let sniffed = !searchesContent;
    // the head, when the entry's first bytes come in pieces shorter than a sniff needs
    let head: Buffer | null = null;
    let fill = 0;
    const decide = (first: Buffer): void => {
      sniffed = true;
      const format = sniffFormat(first);
      if (format === null) return;
      if (format !== "gzip") {
        content = openContent(format, { needles, budget, report, deflate }, "", 1);
        return;
      }
      nested = startNestedGzip(header.size, {
        needles,
        backlog,
        queue: inflating,
        memo,
        inflater,
        wholeSearch: (wholeSearch ??= needles.streamSearch()),
        gather,
        onMatch: (tag) => hit(tag, "file", path, "gzip", entry),
        onTruncated: (reason) => skipped(path, reason),
        budget,
        report,
        openInner: (bytes, to) => {
          const inner = sniffFormat(bytes);
          return inner === null ? null : openContent(inner, { needles, budget, report: to, deflate }, "", 2);
        },
      });
      openGzip = nested;
      inflations.add(nested.done);
    };
    const forward = (chunk: Buffer): void => {
      if (nested) nested.write(chunk);
      else if (content) content.write(chunk);
    };
    return {
      data(chunk) {
        bytes += chunk.length;
        searcher.push(chunk, onContent);
        if (!sniffed) {
          if (fill === 0 && (chunk.length >= HEAD_BYTES || chunk.length >= header.size)) {
            decide(chunk);
          } else {
            head ??= Buffer.allocUnsafe(HEAD_BYTES);
            const taken = chunk.copy(head, fill);
            fill += taken;
            if (fill < HEAD_BYTES && fill < header.size) return;
            decide(head.subarray(0, fill));
            forward(head.subarray(0, fill));
            if (taken < chunk.length) forward(chunk.subarray(taken));
            return;
          }
        }
        forward(chunk);
      },
      end() {
        // A match ending in the entry's last bytes is only reported now.
        searcher.end(onContent);
        if (!sniffed && head !== null) {
          decide(head.subarray(0, fill));
          forward(head.subarray(0, fill));
        }
        if (nested) {
          openGzip = null;
          nested.end();
        }
        (content as ContentSink | null)?.end();
      },
    };
  };

  // What was read is checked against the image's digests (verify-image.ts): hashed as it streams by,
  // once for an uncompressed layer, twice (as stored, as unpacked) for a compressed one.
  const stored = createHash("sha256");
  let unpacked: Hash | null = null;
  const walker = new TarWalker(onEntry);
  const walk: ByteSink = {
    write(chunk) {
      unpacked?.update(chunk);
      if (error !== null) return;
      try {
        walker.write(chunk);
      } catch (cause) {
        fail(cause);
      }
    },
    end() {
      if (error === null) {
        try {
          walker.end();
        } catch (cause) {
          fail(cause);
        }
      }
      endOpenGzip();
    },
  };

  const sniffed = sniffingSink(MAGIC_BYTES, (head) => {
    const compression = sniffCompression(head);
    if (compression === "none") return walk;
    unpacked = createHash("sha256");
    return decompressingSink(compression, () => walk, backlog, new Backlog(), fail);
  });
  const sink: ByteSink = {
    write(chunk) {
      stored.update(chunk);
      sniffed.write(chunk);
    },
    end() {
      sniffed.end();
    },
  };

  return {
    sink,
    async finish() {
      // the layer's gzip files may still be inflating (the walk does not wait for them): its
      // findings are complete once they have ended. A layer whose bytes stopped without an end
      // (its decompression failed) may still have one open.
      endOpenGzip();
      await inflations.settle();
      const digest = `sha256:${stored.digest("hex")}`;
      const diffId = unpacked === null ? digest : `sha256:${unpacked.digest("hex")}`;
      return { hits, paths: paths.finish(), files, bytes, error: error === null ? null : describe(error), notSearched, digest, diffId };
    },
  };
}

/** Parser and zlib messages name formats, never content; keep only the first line anyway. */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : "unreadable";
  return (message.split("\n")[0] ?? "unreadable").slice(0, 200);
}
