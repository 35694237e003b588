import { posix } from "node:path";
import { Backlog, type ByteSink } from "../../bytes/backlog.js";
import { decompressingSink } from "./decompressing-sink.js";
import { layerDigest, type StreamDigest } from "./digest-thread.js";
import { sniffCompression } from "./compression.js";
import { sniffingSink } from "../../bytes/sniff-sink.js";
import { InflatedMemo } from "../content/inflated-memo.js";
import { ReusedInflater } from "../content/reused-inflater.js";
import { GatherPool } from "../content/gather-pool.js";
import type { StreamSearcher } from "../../match/stream-search.js";
import { GATHERED_GZIP_BYTES, INFLATE_QUEUE_BYTES, InflateQueue, SMALL_GZIP_BYTES, startNestedGzip, type NestedGzip } from "../content/nested-gzip.js";
import type { NeedleTable } from "../findings/needles.js";
import { TarWalker, type EntrySink, type TarHeader } from "./tar-walker.js";
import type { ContentReport, ContentSink } from "../content/content-report.js";
import { HEAD_BYTES, sniffFormat, type ContentFormat } from "../content/format.js";
import { ContentBudget } from "../content/limits.js";
import { levelOf, openContent } from "../content/scan-content.js";
import { EntryBudget } from "./entry-budget.js";
import { PathIndexBuilder, type PathIndex } from "./path-index.js";
import { normalizeEntryPath } from "./entry-path.js";
import { isInstalledRecord, RecordBudget, RecordGatherer } from "./installed-records.js";
import { WholeFileGatherer } from "../../match/whole-file-rules.js";
import { RULES_STOPPED_TAG } from "../findings/rule-limits.js";

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
  /** files that are not well-formed in the format they claim (see ContentReport.unreadable): warnings */
  readonly unreadable: readonly NotSearchedInLayer[];
  /** hard links of this layer: the same file as an earlier entry (visibility.ts) */
  readonly hardLinks: readonly HardLink[];
  /** files the `*.dist-info/RECORD`s of this layer list: installed packages (installed-records.ts); none without rules */
  readonly installed?: readonly string[];
}

/** A hard link entry: `path` is the file last written at `target` before entry `entry`. */
export interface HardLink {
  readonly path: string;
  readonly target: string;
  readonly entry: number;
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
  /** shared by the layers of one scan: one buffer to gather archives in; else one per layer */
  readonly gathers?: GatherPool | undefined;
  /** shared by the layers of one scan, so its entry limit holds for the scan; else one per layer */
  readonly entries?: EntryBudget | undefined;
  /** shared by the layers of one scan: how many RECORD bytes they keep; else one per layer */
  readonly records?: RecordBudget | undefined;
}

const OPAQUE = ".wh..wh..opq";
const WHITEOUT = ".wh.";

/** Sniffing a layer needs the first 4 bytes (zstd's magic). */
const MAGIC_BYTES = 4;
/** Malformed files remembered per layer (the warning names the first ones). */
const MAX_UNREADABLE = 20;
/** What a layer lists as not searched; past it, one entry stands for the rest, with their count. */
export const MAX_NOT_SEARCHED = 1000;

/** One layer being scanned as its bytes are pushed; `finish` once its backlog has settled. */
export interface LayerScanner {
  readonly sink: ByteSink;
  /** Resolves once the layer's gzip files have inflated (they may outlast the walk). */
  finish(): Promise<LayerScan>;
}

/** Per-layer state the walk and each entry's sink share. */
class LayerWalk {
  readonly hits: LayerHit[] = [];
  readonly #seen = new Map<string, number>();
  readonly paths = new PathIndexBuilder();
  readonly notSearched: NotSearchedInLayer[] = [];
  readonly #notSearchedSeen = new Set<string>();
  #notListed: { readonly path: string; readonly reason: string; more: number } | null = null;
  readonly unreadable: NotSearchedInLayer[] = [];
  readonly hardLinks: HardLink[] = [];
  readonly installed: string[] = [];
  // RECORDs are kept only for the rules (known values are searched in installed files too)
  readonly records: RecordBudget | undefined;
  // an entry limit stops the search, not the walk (the layer is still hashed): where and why
  stopped: { readonly path: string; readonly limit: string } | null = null;
  unread = 0;
  files = 0;
  bytes = 0;
  error: unknown = null;
  // the gzip file being walked, if any, and every gzip file's inflating (it may outlast the walk)
  openGzip: NestedGzip | null = null;
  readonly inflations = new Backlog();
  readonly needles: NeedleTable;
  readonly backlog: Backlog;
  readonly entryBudget: EntryBudget;
  searcher: StreamSearcher;
  // the stream whose tar entries the layer thread runs the rules on, if it does
  rulesFrom: StreamDigest | null = null;
  // with nothing to find, inflating nested gzip files is wasted work
  readonly searchesContent: boolean;
  readonly inflating: InflateQueue;
  readonly memo: InflatedMemo;
  readonly inflater: ReusedInflater;
  readonly budget: ContentBudget;
  readonly deflate: ReusedInflater;
  readonly gathers: GatherPool;
  #wholeSearch: StreamSearcher | undefined;
  #scratch = Buffer.allocUnsafe(1024);
  // where this layer gathers its gzip files, one after another: grown by doubling, never freed
  #gathering: Buffer | undefined;

  constructor(ctx: LayerScanContext, backlog: Backlog) {
    this.needles = ctx.needles;
    this.backlog = backlog;
    this.entryBudget = ctx.entries ?? new EntryBudget();
    this.searcher = ctx.needles.streamSearch();
    this.searchesContent = ctx.needles.searchesContent;
    this.inflating = ctx.inflating ?? new InflateQueue(INFLATE_QUEUE_BYTES);
    this.memo = ctx.inflated ?? new InflatedMemo();
    this.inflater = ctx.inflater ?? new ReusedInflater();
    this.budget = ctx.budget ?? new ContentBudget();
    this.deflate = ctx.deflate ?? new ReusedInflater("raw");
    this.gathers = ctx.gathers ?? new GatherPool();
    this.records = ctx.needles.rules.length === 0 ? undefined : (ctx.records ?? new RecordBudget());
  }

  /** The layer thread runs the rules on this layer's entries: the walk looks for the known values alone (a wider matcher window). */
  rulesOnThread(digest: StreamDigest): void {
    if (!digest.rulesOnThread) return;
    this.rulesFrom = digest;
    this.searcher = this.needles.knownStreamSearch();
  }

  /** What the rules found on the thread, judged as the walk's own matches are, within the scan's rule limits. */
  async threadRuleHits(): Promise<void> {
    const result = await this.rulesFrom?.rules();
    if (result === undefined) return;
    const limits = this.needles.ruleLimits;
    const stopHere = (path: string, entry: number): void => {
      if (limits.takeMark()) this.hit(RULES_STOPPED_TAG, "file", path, null, entry);
    };
    for (const m of result.matches) {
      const secret = Buffer.from(m.secret.buffer, m.secret.byteOffset, m.secret.length);
      // past an entry limit the walk searched nothing: neither do the rules
      const searched = this.stopped === null || m.entry <= this.files;
      const tag = searched ? this.needles.ruleSink(m.rule, secret, m.offset) : undefined;
      secret.fill(0);
      if (tag !== undefined) this.hit(tag, "file", m.path, null, m.entry);
      else if (searched) stopHere(m.path, m.entry);
    }
    // the thread had what was left of the window budget when the layer began: where it ran out, the rules stop
    const at = result.stoppedAt;
    if (!limits.take(result.windowBytes) || at !== null) limits.take(Infinity);
    if (at !== null && (this.stopped === null || at.entry <= this.files)) stopHere(at.path, at.entry);
    else if (limits.stopped !== null) stopHere("", 0);
  }

  get wholeSearch(): StreamSearcher {
    return (this.#wholeSearch ??= this.needles.streamSearch());
  }

  readonly gather = (size: number): Buffer => {
    const gathering = this.#gathering;
    if (gathering === undefined || gathering.length < size) {
      this.#gathering = Buffer.allocUnsafeSlow(Math.min(GATHERED_GZIP_BYTES, Math.max(size, SMALL_GZIP_BYTES, 2 * (gathering?.length ?? 0))));
    }
    return this.#gathering!;
  };

  skipped(path: string, reason: string): void {
    if (this.notSearched.length >= MAX_NOT_SEARCHED) {
      // a hostile layer of a million encrypted zip entries must not make a million report entries
      this.#notListed ??= { path, reason, more: 0 };
      this.#notListed.more += 1;
      return;
    }
    const key = `${path}\0${reason}`;
    if (this.#notSearchedSeen.has(key)) return;
    this.#notSearchedSeen.add(key);
    this.notSearched.push({ path, reason });
  }

  /** The entry that stands for what was not searched past the list's limit: the first of them, and how many more. */
  listNotListed(): void {
    const over = this.#notListed;
    if (over === null) return;
    const more = over.more - 1;
    const tail = more === 0 ? "" : `; and ${more} more ${more === 1 ? "file" : "files"} of this layer after it, not listed (the report lists ${MAX_NOT_SEARCHED} per layer)`;
    this.notSearched.push({ path: over.path, reason: `${over.reason}${tail}` });
  }

  malformed(path: string, reason: string): void {
    // a test suite's broken archives are many; the first of them say what happened
    if (this.unreadable.length < MAX_UNREADABLE && !this.unreadable.some((u) => u.path === path)) this.unreadable.push({ path, reason });
  }

  // a walk that stops inside a gzip file (cut or corrupt layer) ends its stream: what inflated
  // is scanned, and nothing waits for bytes that will never come
  endOpenGzip(): void {
    const open = this.openGzip;
    this.openGzip = null;
    open?.end();
  }

  readonly fail = (cause: unknown): void => {
    this.error ??= cause;
    this.endOpenGzip();
  };

  hit(tag: number, where: LayerWhere, path: string, container: ContentFormat | null, entry: number, inner = ""): void {
    const key = `${tag}\0${where}\0${container ?? ""}\0${path}\0${inner}`;
    const at = this.#seen.get(key);
    if (at === undefined) {
      this.#seen.set(key, this.hits.length);
      this.hits.push({ tag, where, path, inner, container, entry });
    } else if (this.hits[at]!.entry < entry) {
      this.hits[at] = { ...this.hits[at]!, entry };
    }
  }

  searchText(text: string, where: LayerWhere, path: string, entry: number): void {
    // a scratch buffer per walk: a Buffer per name was a third of a million-entry layer's garbage
    if (this.#scratch.length < 3 * text.length) this.#scratch = Buffer.allocUnsafe(Math.max(2 * this.#scratch.length, 3 * text.length));
    const length = this.#scratch.write(text, "utf8");
    if (length < 8) return;
    this.needles.matcher.scan(this.#scratch.subarray(0, length), (tag) => this.hit(tag, where, path, null, entry));
  }

  /** A tar entry's header: its path recorded (whiteouts too), its names searched; its sink, or null past the entry limit. */
  readonly onEntry = (header: TarHeader): EntrySink | null => {
    if (this.stopped !== null) {
      this.unread += 1;
      return null;
    }
    const over = this.entryBudget.take(this.files + 1);
    if (over !== null) {
      this.stopped = { path: normalizeEntryPath(header.name), limit: over };
      this.unread = 1;
      return null;
    }
    this.files += 1;
    const path = normalizeEntryPath(header.name);
    const entry = this.files;
    if (path !== "") recordPath(this.paths, path, entry, header.type === "directory");
    if (header.type === "link" && path !== "") this.hardLinks.push({ path, target: normalizeEntryPath(header.linkname), entry });
    this.searchText(header.name, "path", path, entry);
    if (header.linkname) this.searchText(header.linkname, "linkname", path, entry);
    if (header.uname) this.searchText(header.uname, "path", path, entry);
    if (header.gname) this.searchText(header.gname, "path", path, entry);
    // `path` and `linkpath` are already in name and linkname; the other records (xattrs,
    // comments, user names) are header data of this entry too.
    if (header.pax) for (const [key, value] of header.pax) if (key !== "path" && key !== "linkpath") this.searchText(value, "path", path, entry);
    this.searcher.reset();
    // an empty file has nothing to search or open (a million of them cost a sink each)
    return header.size === 0 ? null : entrySink(this, header.size, path, entry);
  };
}

/** An entry's path in the index, and what a whiteout or opaque marker in its name removes. */
function recordPath(paths: PathIndexBuilder, path: string, entry: number, directory: boolean): void {
  paths.add(path, "entry", entry, directory);
  if (!path.startsWith(WHITEOUT, path.lastIndexOf("/") + 1)) return;
  const base = posix.basename(path);
  const dir = posix.dirname(path);
  if (base === OPAQUE) paths.add(dir === "." ? "" : dir, "opaque", entry, true);
  else paths.add(posix.join(dir, base.slice(WHITEOUT.length)), "whiteout", entry, false);
}

/** A gzip file inside the layer, on its tuned path (nested-gzip.ts). */
function openNestedGzip(layer: LayerWalk, size: number, path: string, entry: number, report: ContentReport): NestedGzip {
  const { needles, budget, deflate, gathers } = layer;
  const nested = startNestedGzip(size, {
    needles,
    backlog: layer.backlog,
    queue: layer.inflating,
    memo: layer.memo,
    inflater: layer.inflater,
    wholeSearch: layer.wholeSearch,
    gather: layer.gather,
    onMatch: (tag) => layer.hit(tag, "file", path, "gzip", entry),
    onTruncated: (reason) => layer.skipped(path, reason),
    budget,
    report,
    openInner: (bytes, to) => {
      const inner = sniffFormat(bytes);
      return inner === null ? null : openContent(inner, { needles, budget, report: to, deflate, gunzip: layer.inflater, gathers }, "", 1 + levelOf(inner), null);
    },
  });
  layer.openGzip = nested;
  layer.inflations.add(nested.done);
  return nested;
}

/**
 * One entry's bytes: searched as they come, and, once its first bytes tell the format, a gzip
 * file on its tuned path or any other format to the content stage.
 */
function entrySink(layer: LayerWalk, size: number, path: string, entry: number): EntrySink {
  const onContent = (tag: number): void => layer.hit(tag, "file", path, null, entry);
  const report: ContentReport = {
    hit: (tag, inner, container) => layer.hit(tag, "file", path, container, entry, inner),
    notSearched: (inner, reason) => layer.skipped(path + inner, reason),
    unreadable: (inner, reason) => layer.malformed(path + inner, reason),
  };
  let nested: NestedGzip | null = null;
  let content: ContentSink | null = null;
  const record = layer.records !== undefined && isInstalledRecord(path) ? new RecordGatherer(path, layer.records) : null;
  const wholeRules = layer.rulesFrom === null ? layer.needles.wholeFile.at(path, size) : null;
  const whole = wholeRules === null ? null : new WholeFileGatherer(wholeRules, layer.needles.rules);
  let sniffed = !layer.searchesContent;
  // the head, when the entry's first bytes come in pieces shorter than a sniff needs
  let head: Buffer | null = null;
  let fill = 0;
  const decide = (first: Buffer): void => {
    sniffed = true;
    const format = sniffFormat(first, path);
    if (format === null) return;
    if (format === "gzip") nested = openNestedGzip(layer, size, path, entry, report);
    else content = openContent(format, { needles: layer.needles, budget: layer.budget, report, deflate: layer.deflate, gunzip: layer.inflater, gathers: layer.gathers }, "", 1, size);
  };
  const forward = (chunk: Buffer): void => {
    if (nested) nested.write(chunk);
    else if (content) content.write(chunk);
  };
  return {
    data(chunk) {
      layer.bytes += chunk.length;
      layer.searcher.push(chunk, onContent);
      record?.push(chunk);
      whole?.push(chunk);
      if (!sniffed) {
        if (fill === 0 && (chunk.length >= HEAD_BYTES || chunk.length >= size)) {
          decide(chunk);
        } else {
          head ??= Buffer.allocUnsafe(HEAD_BYTES);
          const taken = chunk.copy(head, fill);
          fill += taken;
          if (fill < HEAD_BYTES && fill < size) return;
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
      layer.searcher.end(onContent);
      if (record !== null) for (const installed of record.end()) layer.installed.push(installed);
      whole?.end((bytes) => layer.needles.ruleLimits.take(bytes), (rule, secret, offset) => {
        const tag = layer.needles.ruleSink(rule, secret, offset);
        if (tag !== undefined) onContent(tag);
      });
      if (!sniffed && head !== null) {
        decide(head.subarray(0, fill));
        forward(head.subarray(0, fill));
      }
      if (nested) {
        layer.openGzip = null;
        (nested as NestedGzip).end();
      }
      (content as ContentSink | null)?.end();
    },
  };
}

/** The tar walk as a sink: a walk that failed takes no more bytes, and its end ends an open gzip file. */
function walkSink(layer: LayerWalk, onUnpacked: (chunk: Buffer) => void): ByteSink {
  const walker = new TarWalker(layer.onEntry);
  return {
    write(chunk) {
      onUnpacked(chunk);
      if (layer.error !== null) return;
      try {
        walker.write(chunk);
      } catch (cause) {
        layer.fail(cause);
      }
    },
    end() {
      if (layer.error === null) {
        try {
          walker.end();
        } catch (cause) {
          layer.fail(cause);
        }
      }
      layer.endOpenGzip();
    },
  };
}

/**
 * Walks one layer tar (any compression, sniffed from its first bytes) entry by entry as its
 * bytes are pushed, searching contents, names, link targets and PAX values. Never throws on bad
 * input: an unreadable layer is a LayerScan with `error` set, so the archive around it can still
 * be read. Async work (decompression) goes into `backlog`; the caller settles it before `finish`.
 */
export function startLayerScan(ctx: LayerScanContext, backlog: Backlog): LayerScanner {
  const layer = new LayerWalk(ctx, backlog);
  // What was read is checked against the image's digests (verify-image.ts): hashed as it streams by,
  // once for an uncompressed layer, twice (as stored, as unpacked) for a compressed one.
  // The layer thread also runs the pattern rules on the tar it hashes (as stored when that is not
  // compressed, else as unpacked), beside the walk: docs/performance.md.
  const set = ctx.needles.threadRules;
  const stored = layerDigest(set && { set, mode: "sniff", windowBytes: ctx.needles.ruleLimits.windowBytesLeft });
  let unpacked: StreamDigest | null = null;
  const walk = walkSink(layer, (chunk) => unpacked?.update(chunk));
  const sniffed = sniffingSink(MAGIC_BYTES, (head) => {
    const compression = sniffCompression(head);
    if (compression === "none") {
      layer.rulesOnThread(stored);
      return walk;
    }
    unpacked = layerDigest(set && { set, mode: "tar", windowBytes: ctx.needles.ruleLimits.windowBytesLeft });
    layer.rulesOnThread(unpacked);
    return decompressingSink(compression, () => walk, backlog, new Backlog(), layer.fail);
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
      layer.endOpenGzip();
      await layer.inflations.settle();
      layer.listNotListed();
      if (layer.stopped !== null) {
        const { path, limit } = layer.stopped;
        layer.notSearched.push({ path, reason: `${limit}: this entry and the rest of the layer (${layer.unread} entries) were not searched` });
      }
      const digest = await stored.digest();
      const diffId = unpacked === null ? digest : await (unpacked as StreamDigest).digest();
      await layer.threadRuleHits();
      const { hits, files, bytes, error, notSearched, unreadable, hardLinks, installed } = layer;
      return { hits, paths: layer.paths.finish(), files, bytes, error: error === null ? null : describe(error), notSearched, unreadable, digest, diffId, hardLinks, installed };
    },
  };
}

/** Parser and zlib messages name formats, never content; keep only the first line anyway. */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : "unreadable";
  return (message.split("\n")[0] ?? "unreadable").slice(0, 200);
}
