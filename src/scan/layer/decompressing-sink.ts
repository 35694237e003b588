import { once } from "node:events";
import { finished } from "node:stream/promises";
import type { Backlog, ByteSink } from "../../bytes/backlog.js";
import { decompressors, type Compression } from "./compression.js";
import { gunzipSink } from "./gunzip-sink.js";

/**
 * A ByteSink that decompresses into `downstream`. gzip inflates during `write`, on this thread,
 * into a reused buffer (gunzip-sink.ts); zstd on a stream, its input copied (the caller reuses
 * its buffers), its output pushed on as it comes, paused while `downstream`'s own backlog is
 * pending. Drains and the end go into `backlog`. The first error from the decompressor or from
 * `downstream` goes to `onError`, after which input is dropped.
 */
export function decompressingSink(
  kind: Exclude<Compression, "none">,
  downstream: (inner: Backlog) => ByteSink,
  backlog: Backlog,
  inner: Backlog,
  onError: (error: unknown) => void,
): ByteSink {
  const sink = downstream(inner);
  const sync = kind === "gzip" ? gunzipSink(sink, backlog, inner, onError) : null;
  if (sync !== null) return sync;
  const stream = decompressors[kind]();
  let failed = false;
  const fail = (error: unknown): void => {
    if (failed) return;
    failed = true;
    onError(error);
    stream.destroy();
  };
  stream.on("error", fail);
  stream.on("data", (out: Buffer) => {
    if (failed) return;
    try {
      sink.write(out);
    } catch (error) {
      fail(error);
      return;
    }
    if (inner.pending) {
      stream.pause();
      void inner.settle().then(() => stream.resume());
    }
  });
  // One completion promise for the stream's life: a `finished()` per congested write would
  // pile up listeners (MaxListenersExceededWarning on a large layer) and memory.
  const done = finished(stream).catch(() => undefined);
  return {
    write(chunk) {
      if (failed) return;
      if (!stream.write(Buffer.from(chunk))) backlog.add(Promise.race([once(stream, "drain"), done]).catch(() => undefined));
    },
    end() {
      if (failed) return;
      stream.end();
      backlog.add(
        finished(stream).then(
          async () => {
            await inner.settle();
            if (failed) return;
            try {
              sink.end();
            } catch (error) {
              fail(error);
            }
            await inner.settle();
          },
          () => inner.settle(),
        ),
      );
    },
  };
}
