import type { ContentContext, ContentSink } from "./content-report.js";
import { DECODERS } from "./decoders.js";
import { HEAD_BYTES, sniffFormat, type ContentFormat } from "./format.js";
import { CONTENT_LIMITS } from "./limits.js";
import { runWholeFile, WholeFileGatherer } from "../../match/whole-file-rules.js";

/**
 * Opens `format` for the file at `inner`, `depth` levels below the layer entry (the entry's
 * own content is 1), of `size` bytes when that is known; null, and reported as not searched,
 * past the depth limit.
 */
export function openContent(format: ContentFormat, ctx: ContentContext, inner: string, depth: number, size: number | null): ContentSink | null {
  if (depth > CONTENT_LIMITS.maxDepth) {
    ctx.report.notSearched(inner, `${format} nested ${Math.ceil(depth)} levels deep (limit ${CONTENT_LIMITS.maxDepth})`);
    return null;
  }
  return DECODERS[format]({
    ...ctx,
    inner,
    size,
    open: (member, container) => scanContent(ctx, member, container, depth),
    openWhole: (member, container, data) => scanWhole(ctx, member, container, depth, data),
  });
}

/** Compressions add no level to a path (`a.tgz!/x`): an eighth of one to the depth, so a chain of them stays bounded. */
const COMPRESSIONS: ReadonlySet<ContentFormat> = new Set(["gzip", "bzip2", "xz", "zstd", "lz4", "lzma", "lzip", "brotli", "zlib", "base64"]);
export const levelOf = (format: ContentFormat): number => (COMPRESSIONS.has(format) ? 0.125 : 1);

/** The name a member's format may be told by (brotli's): none for what brotli itself decoded, at the same path. */
const nameOf = (inner: string, container: ContentFormat): string => (container === "brotli" ? "" : inner);

/**
 * A member decoded whole (a zip entry, a decoded stream): searched in one call, and opened when
 * its first bytes name a format. A stream searcher per member cost more than the matching.
 */
export function scanWhole(ctx: ContentContext, inner: string, container: ContentFormat, depth: number, data: Buffer): void {
  ctx.needles.matcher.scan(data, (tag) => ctx.report.hit(tag, inner, container));
  const named = ctx.needles.wholeFile.at(inner, data.length);
  if (named !== null) runWholeFile(named, ctx.needles.rules, data, (bytes) => ctx.needles.ruleLimits.take(bytes), wholeFileHits(ctx, inner, container));
  const format = sniffFormat(data.subarray(0, HEAD_BYTES), nameOf(inner, container));
  if (format === null) return;
  const inside = openContent(format, ctx, inner, depth + levelOf(format), data.length);
  inside?.write(data);
  inside?.end();
}

/**
 * The bytes of a file inside a file (a member, or a decoded stream) at `inner`: searched as they
 * come, and, when their first bytes name a format, opened one level deeper.
 */
export function scanContent(ctx: ContentContext, inner: string, container: ContentFormat, depth: number): ContentSink {
  const searcher = ctx.needles.streamSearch();
  const named = ctx.needles.wholeFile.at(inner, null);
  const whole = named === null ? null : new WholeFileGatherer(named, ctx.needles.rules);
  const onMatch = (tag: number): void => ctx.report.hit(tag, inner, container);
  let inside: ContentSink | null = null;
  let sniffed = false;
  let head: Buffer | null = null;
  let fill = 0;
  const decide = (bytes: Buffer): void => {
    sniffed = true;
    const format = sniffFormat(bytes, nameOf(inner, container));
    if (format !== null) inside = openContent(format, ctx, inner, depth + levelOf(format), null);
  };
  return {
    write(chunk) {
      searcher.push(chunk, onMatch);
      whole?.push(chunk);
      if (!sniffed) {
        if (fill === 0 && chunk.length >= HEAD_BYTES) {
          decide(chunk);
        } else {
          // the first bytes came in pieces: gather the head, then replay it
          head ??= Buffer.allocUnsafe(HEAD_BYTES);
          const taken = chunk.copy(head, fill);
          fill += taken;
          if (fill < HEAD_BYTES) return;
          decide(head);
          inside?.write(head);
          if (taken < chunk.length) inside?.write(chunk.subarray(taken));
          return;
        }
      }
      inside?.write(chunk);
    },
    end() {
      searcher.end(onMatch);
      whole?.end((bytes) => ctx.needles.ruleLimits.take(bytes), wholeFileHits(ctx, inner, container));
      if (!sniffed && head !== null) {
        decide(head.subarray(0, fill));
        inside?.write(head.subarray(0, fill));
      }
      inside?.end();
    },
  };
}

/** A whole-file rule's secret in a member: a hit at the member, as the keyword rules' are. */
function wholeFileHits(ctx: ContentContext, inner: string, container: ContentFormat): (rule: number, secret: Buffer, offset: number) => void {
  return (rule, secret, offset) => {
    const tag = ctx.needles.ruleSink(rule, secret, offset);
    if (tag !== undefined) ctx.report.hit(tag, inner, container);
  };
}
